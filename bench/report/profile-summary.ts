/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and sums self time by function and by area (a
 * folder of this repository, an npm package, Node's internals, GC), which is what decides
 * where an optimisation pays.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Cost {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  byArea: Cost[];
  byFunction: Cost[];
  /** Native and Node-internal leaves (socket writes, crypto, SQLite) by the code that called them. */
  byCaller: Cost[];
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Where a frame's code lives: `gateway/`, `npm:amqplib`, `node:internal`, `(garbage collector)`. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return `npm:${pkg[1]}`;
  if (path.startsWith(REPO)) return `${path.slice(REPO.length).split('/')[0]}/`;
  if (path.startsWith('node:')) return 'node:internal';
  return path;
}

function top(costs: Map<string, number>, totalMs: number, n: number): Cost[] {
  return [...costs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, ms, share: ms / totalMs }));
}

function frameName({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const file = url.replace(`file://${REPO}`, '').replace(/^.*node_modules\//, '');
  return `${functionName || '(anonymous)'}${url === '' ? '' : ` ${file}:${lineNumber + 1}`}`;
}

/** The nearest frame up the stack that is this repository's code or an npm package's. */
function callerOf(id: number, byId: Map<number, ProfileNode>, parents: Map<number, number>) {
  for (let at = parents.get(id); at !== undefined; at = parents.get(at)) {
    const frame = byId.get(at)?.callFrame;
    if (frame !== undefined && frame.url !== '' && !frame.url.startsWith('node:')) return frame;
  }
  return undefined;
}

export async function summariseProfile(path: string, n = 20): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  const callers = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (node === undefined) return;
    const { functionName, url } = node.callFrame;
    totalMs += ms;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const name = frameName(node.callFrame);
    functions.set(name, (functions.get(name) ?? 0) + ms);
    if ((url === '' && !functionName.startsWith('(')) || url.startsWith('node:')) {
      const caller = callerOf(id, byId, parents);
      const key = `${functionName || '(anonymous)'} < ${caller ? frameName(caller) : '?'}`;
      callers.set(key, (callers.get(key) ?? 0) + ms);
    }
  });
  return {
    totalMs,
    byArea: top(areas, totalMs, n),
    byFunction: top(functions, totalMs, n),
    byCaller: top(callers, totalMs, n),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const row = (c: Cost): string =>
    `${(c.share * 100).toFixed(1).padStart(5)}%  ${c.ms.toFixed(0).padStart(7)} ms  ${c.name}`;
  return [
    `CPU profile: ${(summary.totalMs / 1000).toFixed(1)} s of samples (main thread)`,
    '',
    'self time by area:',
    ...summary.byArea.map(row),
    '',
    'self time by function:',
    ...summary.byFunction.map(row),
    '',
    'native and Node-internal self time, by the nearest caller in this repository or a package:',
    ...summary.byCaller.map(row),
  ].join('\n');
}
