import type { InvocationView } from '../../../core/api.ts';
import type { InvocationSummary, NodeSummary, OverviewFunction } from '../wire.ts';
import { byId, fill, h, syncRows } from './dom.ts';
import { ago, clock, duration, shortId } from './format.ts';
import type { Model } from './model.ts';

/** How the event stream is doing, as the header shows it. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** The dashboard's layout and its sections; the sections are re-rendered from the model. */
export class DashboardView {
  readonly root: HTMLElement;
  readonly #model: Model;
  readonly #onSelect: (id: string) => void;
  #selected: string | undefined;

  constructor(
    model: Model,
    who: string,
    handlers: { onLogout: () => void; onSelect: (id: string) => void },
  ) {
    this.#model = model;
    this.#onSelect = handlers.onSelect;
    this.root = h(
      'div',
      { class: 'app' },
      h(
        'header',
        { class: 'topbar' },
        h('span', { class: 'brand' }, 'Fjord'),
        h('span', { id: 'live', class: 'live connecting' }, 'connecting'),
        h('span', { class: 'spacer' }),
        h('span', { id: 'who', class: 'muted' }, who),
        h('button', { id: 'logout', class: 'quiet', onclick: handlers.onLogout }, 'Log out'),
      ),
      h(
        'main',
        { class: 'grid' },
        section('functions', 'Functions', 'functions-body'),
        section('nodes', 'Nodes', 'nodes-body'),
        section('invocations', 'Recent invocations', 'invocations-body'),
        section('detail', 'Invocation', 'detail-body'),
      ),
    );
  }

  setLive(state: LiveState): void {
    const live = byId('live');
    live.className = `live ${state}`;
    live.textContent = state;
  }

  renderFunctions(): void {
    renderTable(
      byId('functions-body'),
      ['Name', 'Version', 'Runtime', 'Triggers', 'URL', 'Waiting', 'Queued', 'Dead letters'],
      this.#model.functions.map((fn) => functionRow(fn, this.#model)),
      'No functions yet: deploy one with fn deploy.',
    );
  }

  renderNodes(): void {
    renderTable(
      byId('nodes-body'),
      ['Node', 'State', 'Load'],
      [...this.#model.nodes.values()].map((node) => nodeRow(node, this.#model)),
      'No node has reported in.',
    );
  }

  renderInvocations(): void {
    renderTable(
      byId('invocations-body'),
      ['Id', 'Function', 'Status', 'Attempts', 'Duration', 'Time'],
      this.#model.invocations().map((invocation) => this.#invocationRow(invocation)),
      'No invocations since this gateway started.',
    );
  }

  /** Shows an invocation's details, or a message while there are none to show. */
  renderDetail(view: InvocationView | string): void {
    const body = byId('detail-body');
    if (typeof view === 'string') {
      fill(body, h('p', { class: 'muted' }, view));
      return;
    }
    const facts: [string, string][] = [
      ['Id', view.id],
      ['Function', `${view.fn} v${view.version}`],
      ['Status', view.status],
      ['Trigger', `${view.trigger}, ${view.mode}`],
      ['Attempts', String(view.attempts)],
      ['Duration', duration(view.durationMs)],
      ['Node', view.node ?? '–'],
      ['Queued', view.queuedAt],
    ];
    fill(
      body,
      h(
        'dl',
        { class: 'facts', 'data-testid': 'invocation-detail', 'data-id': view.id },
        facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
      ),
      view.error !== undefined &&
        h(
          'div',
          { class: 'error-box', 'data-testid': 'invocation-error' },
          h('strong', {}, view.error.code),
          h('p', {}, view.error.message),
          view.error.stack !== undefined && h('pre', {}, view.error.stack),
        ),
      h('h3', {}, 'Logs'),
      view.logs.length === 0
        ? h('p', { class: 'muted' }, 'No log lines.')
        : h(
            'pre',
            { class: 'logs', 'data-testid': 'invocation-logs' },
            view.logs.map((l) => `${clock(l.ts)} ${l.level.padEnd(5)} ${l.message}\n`).join(''),
          ),
    );
  }

  #invocationRow(invocation: InvocationSummary): HTMLTableRowElement {
    const select = (): void => {
      this.#selected = invocation.id;
      this.#onSelect(invocation.id);
      this.renderInvocations();
    };
    return h(
      'tr',
      {
        class: `clickable${invocation.id === this.#selected ? ' selected' : ''}`,
        tabindex: 0,
        'data-testid': 'invocation-row',
        'data-key': invocation.id,
        'data-id': invocation.id,
        'data-status': invocation.status,
        onclick: select,
        onkeydown: (event) => {
          if ((event as KeyboardEvent).key === 'Enter') select();
        },
      },
      h('td', { class: 'mono', title: invocation.id }, shortId(invocation.id)),
      h('td', {}, invocation.fn),
      h('td', {}, badge(invocation.status)),
      h('td', { class: 'num' }, invocation.attempts),
      h('td', { class: 'num' }, duration(invocation.durationMs)),
      h('td', { title: new Date(invocation.at).toISOString() }, clock(invocation.at)),
    );
  }
}

function section(id: string, title: string, bodyId: string): HTMLElement {
  return h(
    'section',
    { id, class: 'card', 'data-testid': id },
    h('h2', {}, title),
    h('div', { id: bodyId, class: 'card-body' }),
  );
}

/** A table of `rows` in `body`, updated in place (see syncRows), or `empty` without rows. */
function renderTable(
  body: HTMLElement,
  headers: string[],
  rows: HTMLTableRowElement[],
  empty: string,
): void {
  if (rows.length === 0) {
    fill(body, h('p', { class: 'muted' }, empty));
    return;
  }
  let tbody = body.querySelector('tbody');
  if (tbody === null) {
    tbody = h('tbody');
    const head = h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((title) => h('th', {}, title)),
      ),
    );
    fill(body, h('table', {}, head, tbody));
  }
  syncRows(tbody, rows);
}

function badge(status: string): HTMLElement {
  return h('span', { class: `badge ${status}` }, status);
}

function functionRow(fn: OverviewFunction, model: Model): HTMLTableRowElement {
  const dead = fn.deadLetters;
  return h(
    'tr',
    { 'data-testid': 'function-row', 'data-key': fn.name, 'data-name': fn.name },
    h('td', { class: 'strong' }, fn.name),
    h('td', { class: 'num' }, `v${fn.version}`),
    h('td', {}, fn.runtime),
    h(
      'td',
      {},
      fn.triggers.map((trigger) => h('span', { class: 'chip' }, trigger)),
    ),
    h('td', { class: 'mono' }, h('a', { href: fn.url }, fn.url)),
    h('td', { class: 'num' }, model.waiting(fn.name)),
    h(
      'td',
      { class: 'num', 'data-testid': 'queued', title: 'waiting in its queue on the broker' },
      fn.queued ?? '–',
    ),
    h('td', { class: `num${dead > 0 ? ' warn' : ''}`, 'data-testid': 'dead-letters' }, dead),
  );
}

function nodeRow(node: NodeSummary, model: Model): HTMLTableRowElement {
  const up = model.isUp(node);
  const state = up ? node.state : 'down';
  return h(
    'tr',
    { 'data-testid': 'node-row', 'data-key': node.id, 'data-id': node.id, 'data-state': state },
    h(
      'td',
      {},
      h('div', { class: 'mono nowrap' }, node.id),
      h(
        'div',
        { class: 'muted small' },
        `${node.hostname} · ${node.functions.length} functions · up ${ago(node.startedAt, model.now()).replace(' ago', '')}`,
      ),
    ),
    // The state, and under it when the last heartbeat came: three columns fit the side card.
    h(
      'td',
      { class: 'nowrap' },
      badge(state),
      h(
        'div',
        { class: 'muted small', 'data-testid': 'node-heartbeat', title: 'last heartbeat' },
        ago(node.lastSeen, model.now()),
      ),
    ),
    // In flight over capacity, and under it the host's load.
    h(
      'td',
      { class: 'num nowrap' },
      h(
        'div',
        { 'data-testid': 'node-inflight', title: 'in flight / capacity' },
        node.capacity === undefined ? node.inflight : `${node.inflight} / ${node.capacity}`,
      ),
      h(
        'div',
        { class: 'muted small', 'data-testid': 'node-load', title: 'host load, 1 minute' },
        hostLoad(node),
      ),
    ),
  );
}

/** The host's 1-minute load average and its CPUs, e.g. `0.42 · 2 CPUs`. */
function hostLoad(node: NodeSummary): string {
  if (node.loadAvg === undefined) return '';
  const load = node.loadAvg.toFixed(2);
  return node.cpus === undefined ? load : `${load} · ${node.cpus} CPU${node.cpus === 1 ? '' : 's'}`;
}
