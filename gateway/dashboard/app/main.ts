/**
 * The dashboard's browser script: logs in with a token (traded for a session cookie), loads the
 * overview, then follows the live events. Bundled by the gateway (../page.ts).
 */
import type { SessionView } from '../wire.ts';
import * as api from './api.ts';
import { DashboardView } from './dashboard-view.ts';
import { loginView } from './login-view.ts';
import { follow } from './live.ts';
import { Model } from './model.ts';

/** Events that change what the overview would say beyond one row: reload it, at most this often. */
const RELOAD_DEBOUNCE_MS = 250;
/** How long the page waits before it tries again when the gateway went away. */
const RESTART_MS = 5000;
/** Relative times and node liveness move on even when nothing happens. */
const TICK_MS = 1000;

let stop: (() => void) | undefined;

function showLogin(): void {
  stop?.();
  stop = undefined;
  const view = loginView(() => void start());
  document.body.replaceChildren(view);
  view.querySelector('input')?.focus();
}

async function start(): Promise<void> {
  let who: SessionView;
  try {
    who = await api.session();
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 401) {
      showLogin();
    } else {
      document.body.replaceChildren(unreachable());
      setTimeout(() => void start(), RESTART_MS);
    }
    return;
  }
  const model = new Model();
  let selected: string | undefined;
  const showDetail = (): void => {
    if (selected === undefined) return;
    const id = selected;
    api.invocation(id).then(
      (view) => id === selected && dashboard.renderDetail(view),
      (error: unknown) => id === selected && dashboard.renderDetail(String(error)),
    );
  };
  const dashboard = new DashboardView(model, `${who.label} · ${who.scope}`, {
    onLogout: () => void api.logout().finally(showLogin),
    onSelect: (id) => {
      selected = id;
      dashboard.renderDetail('Loading…');
      showDetail();
    },
  });
  document.body.replaceChildren(dashboard.root);
  dashboard.renderDetail('Select an invocation to see its logs and error.');

  const renderAll = (): void => {
    dashboard.renderFunctions();
    dashboard.renderNodes();
    dashboard.renderInvocations();
  };
  const reload = async (): Promise<void> => {
    model.load(await api.overview());
    renderAll();
  };
  let pending: ReturnType<typeof setTimeout> | undefined;
  const reloadSoon = (): void => {
    pending ??= setTimeout(() => {
      pending = undefined;
      reload().catch(onFailure);
    }, RELOAD_DEBOUNCE_MS);
  };
  const onFailure = (error: unknown): void => {
    if (error instanceof api.ApiError && error.status === 401) showLogin();
  };

  // Following first, then loading: nothing that happens in between is missed, and the merge
  // keeps whichever of the two is newer.
  const stopFollowing = follow({
    onOpen: (reconnected) => {
      dashboard.setLive('live');
      if (reconnected) reloadSoon();
    },
    onDrop: () => dashboard.setLive('reconnecting'),
    // The gateway refused the stream: the session ended, or the gateway is stopping.
    onClosed: () => {
      dashboard.setLive('offline');
      stop?.();
      setTimeout(() => void start(), RESTART_MS);
    },
    onEvent: (event) => {
      if (event.type === 'invocation') {
        model.invocation(event.data);
        dashboard.renderInvocations();
        dashboard.renderFunctions();
        if (event.data.id === selected) showDetail();
      } else if (event.type === 'node') {
        model.node(event.data);
        dashboard.renderNodes();
      } else if (event.type === 'queues') {
        model.queues(event.data.functions);
        dashboard.renderFunctions();
      } else {
        reloadSoon();
      }
    },
  });
  let ticker: ReturnType<typeof setInterval> | undefined;
  stop = () => {
    stopFollowing();
    clearInterval(ticker);
  };
  await reload().catch(onFailure);
  // The load may have ended in the login form (a session that expired meanwhile).
  if (dashboard.root.isConnected) ticker = setInterval(() => dashboard.renderNodes(), TICK_MS);
}

function unreachable(): HTMLElement {
  const message = document.createElement('p');
  message.className = 'muted unreachable';
  message.textContent = 'The gateway cannot be reached; trying again…';
  return message;
}

void start();
