/**
 * `npm run bench`: measures Fjord against its anchors side by side in one run (see
 * BENCHMARKS.md for what each row means), prints one table, and writes
 * bench/results/latest.json, the charts (bench/results/*.png) and BENCHMARKS.md's results.
 * Not a test: nothing here asserts a timing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from './model.ts';
import { parseOptions, ROWS, USAGE, type BenchOptions } from './options.ts';
import { latencyChart, throughputChart, timelineChart } from './report/charts.ts';
import { resultsSection, updateBenchmarksMd } from './report/markdown.ts';
import { formatProfile, summariseProfile } from './report/profile-summary.ts';
import { functionsChart } from './report/scale-chart.ts';
import { writePng } from './report/rasterize.ts';
import { writeFormatted } from './report/write-formatted.ts';
import { tableRows } from './report/table-rows.ts';
import { consoleTable } from './report/table-text.ts';
import { agentMemoryRow } from './rows/agent-memory.ts';
import { asyncThroughputRow } from './rows/async-throughput.ts';
import { containerRow } from './rows/containers.ts';
import type { BenchContext } from './rows/context.ts';
import { coldStartRow, memoryRow } from './rows/isolates.ts';
import { functionsRow, nodesRow } from './rows/scale.ts';
import { syncLatencyRow } from './rows/sync-latency.ts';
import { Children } from './support/child.ts';
import { machineInfo } from './support/machine.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(REPO, 'bench/results');
const VHOST = process.env.FN_BENCH_VHOST ?? 'fjord-bench';
const AMQP_BASE = process.env.FN_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

function say(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function command(argv: string[]): string {
  return process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`
    : `node bench/run.ts ${argv.join(' ')}`.trim();
}

async function measure(options: BenchOptions, ctx: BenchContext, results: BenchResults) {
  const rows = options.rows;
  if (rows.includes('async')) results.async = await asyncThroughputRow(ctx);
  if (rows.includes('latency')) results.latency = await syncLatencyRow(ctx);
  if (rows.includes('cold-start')) {
    const coldStart = await ctx.attempt('isolate cold start', () => coldStartRow(ctx));
    if (coldStart !== undefined) results.coldStart = coldStart;
  }
  if (rows.includes('containers')) {
    const containers = await ctx.attempt('containers', () => containerRow(ctx));
    if (containers !== undefined) results.containers = containers;
  }
  if (rows.includes('memory')) {
    const memory = await ctx.attempt('memory', () => memoryRow(ctx));
    if (memory !== undefined) results.memory = memory;
  }
  if (rows.includes('agent-memory')) {
    const agent = await ctx.attempt('agent memory', () => agentMemoryRow(ctx));
    if (agent !== undefined) results.agentMemory = agent;
  }
  if (rows.includes('nodes')) results.nodes = await nodesRow(ctx);
  if (rows.includes('functions')) {
    const functions = await ctx.attempt('latency by deployed functions', () => functionsRow(ctx));
    if (functions !== undefined) results.functions = functions;
  }
}

/**
 * A full run (every row, full durations) replaces bench/results/latest.json, the charts and the
 * results of BENCHMARKS.md; a --quick or --only run writes to bench/results/partial/ (not
 * committed), so trying something out never overwrites the published numbers.
 */
async function writeReport(results: BenchResults, workDir: string, full: boolean): Promise<void> {
  const dir = full ? RESULTS : join(RESULTS, 'partial');
  const shown = full ? 'bench/results' : 'bench/results/partial';
  mkdirSync(dir, { recursive: true });
  await writeFormatted(join(dir, 'latest.json'), JSON.stringify(results));
  const charts: string[] = [];
  const drawn: [string, string | undefined][] = [
    ['throughput', throughputChart(results)],
    ['async-timeline', timelineChart(results)],
    ['latency', latencyChart(results)],
    ['functions', functionsChart(results)],
  ];
  for (const [name, svg] of drawn) {
    if (svg === undefined) continue;
    await writePng(svg, join(workDir, `${name}.svg`), join(dir, `${name}.png`));
    charts.push(`${shown}/${name}.png`);
  }
  if (full) await updateBenchmarksMd(join(REPO, 'BENCHMARKS.md'), resultsSection(results, charts));
  say(`wrote ${shown}/latest.json and the charts${full ? ', updated BENCHMARKS.md' : ''}`);
}

async function writeProfile(options: BenchOptions, profileDir: string): Promise<void> {
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile was written to ${profileDir}`);
  const text = formatProfile(await summariseProfile(join(profileDir, file), 20));
  const base = join(RESULTS, `profile-${options.profile ?? ''}`);
  mkdirSync(RESULTS, { recursive: true });
  await copyFile(join(profileDir, file), `${base}.cpuprofile`);
  await writeFile(`${base}.txt`, `${text}\n`);
  console.log(`\n${text}\n\nwrote ${base}.txt and ${base}.cpuprofile`);
}

async function render(): Promise<void> {
  const results = JSON.parse(await readFile(join(RESULTS, 'latest.json'), 'utf8')) as BenchResults;
  const workDir = await mkdtemp(join(tmpdir(), 'fjord-bench-'));
  results.table = tableRows(results);
  console.log(`\n${consoleTable(results.table)}\n`);
  await writeReport(results, workDir, true);
  await rm(workDir, { recursive: true, force: true });
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  if (options.help) return console.log(USAGE);
  if (options.render) return render();
  if (!options.skipDeps) {
    execFileSync('bash', [join(REPO, 'scripts/ensure-bench-deps.sh')], { stdio: 'inherit' });
  }
  const started = performance.now();
  const workDir = await mkdtemp(join(tmpdir(), 'fjord-bench-'));
  const profileDir = join(workDir, 'profile');
  mkdirSync(profileDir);
  const failures: string[] = [];
  const children = new Children();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the servers this run started; logs kept in ${workDir}`);
      children.killAll();
      process.exit(130);
    });
  }
  const ctx: BenchContext = {
    plan: options.plan,
    amqpUrl: `${AMQP_BASE}/${encodeURIComponent(VHOST)}`,
    workDir,
    profileDir,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    children,
    say,
    async attempt(what, measure) {
      try {
        return await measure();
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        say(`FAILED ${what}: ${message}`);
        failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    },
  };
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    durationS: 0,
    command: command(argv),
    machine: machineInfo(),
    plan: options.plan,
    table: [],
    failures: [],
  };
  say(
    `${options.plan.quick ? 'quick' : 'full'} run: ${options.rows.join(', ')}; logs in ${workDir}`,
  );
  await measure(options, ctx, results);
  results.failures = failures;
  results.durationS = (performance.now() - started) / 1000;
  results.machine.loadavgEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  results.table = tableRows(results);
  console.log(`\n${consoleTable(results.table)}\n`);
  if (failures.length > 0) {
    say(`${failures.length} measurement(s) failed; logs kept in ${workDir}`);
    process.exitCode = 1;
  }
  if (options.profile !== undefined) {
    await writeProfile(options, profileDir);
  } else {
    // Only a complete full run may replace the published numbers.
    const full =
      !options.plan.quick && options.rows.length === ROWS.length && failures.length === 0;
    await writeReport(results, workDir, full);
  }
  if (failures.length === 0) await rm(workDir, { recursive: true, force: true });
}

await main(process.argv.slice(2));
