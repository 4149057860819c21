/** Command-line options of `npm run bench`, and the plan (durations, sample counts) they give. */
import { parseArgs } from 'node:util';
import type { Plan } from './rows/context.ts';

export const ROWS = [
  'async',
  'latency',
  'cold-start',
  'containers',
  'memory',
  'agent-memory',
  'nodes',
  'functions',
] as const;
export type RowName = (typeof ROWS)[number];
export const PROFILES = [
  'async-embedded',
  'async-rabbitmq',
  'latency-embedded',
  'latency-rabbitmq',
] as const;
export type ProfileName = (typeof PROFILES)[number];

export interface BenchOptions {
  plan: Plan;
  rows: RowName[];
  profile?: ProfileName;
  /** Skip scripts/ensure-bench-deps.sh (already run). */
  skipDeps: boolean;
  /** Measure nothing: redraw the charts and BENCHMARKS.md from bench/results/latest.json. */
  render: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [--quick] [--only ROWS] [--profile WHAT]

Measures Fjord against its anchors in one run and prints one table. A full run
writes bench/results/latest.json and the charts and updates BENCHMARKS.md; a
--quick or --only run writes to bench/results/partial/ instead.

  --quick          a short run (about 4 minutes) instead of the full one (about 15)
  --only ROWS      comma-separated subset of: ${ROWS.join(', ')}
  --profile WHAT   run one Fjord target under --cpu-prof and print its top costs
                   (${PROFILES.join(', ')}); writes bench/results/profile-WHAT.*
                   and leaves latest.json and BENCHMARKS.md alone
  --functions-max N
                   the functions row's last step (default 300: 1,000 quorum
                   queues took a shared RabbitMQ minutes to recover)
  --skip-deps      do not run scripts/ensure-bench-deps.sh first
  --render         measure nothing: redraw the charts and BENCHMARKS.md from
                   bench/results/latest.json (after editing the report code)`;

const FULL: Plan = {
  quick: false,
  asyncS: 20,
  asyncWarmupS: 5,
  asyncConnections: [32, 128],
  latencyS: 10,
  latencyWarmupS: 2,
  concurrencies: [1, 10, 50],
  coldStartSamples: 200,
  memoryIsolates: 50,
  containerColdSamples: 20,
  containerWarmSamples: 300,
  containerMemory: 10,
  containerSteady: 400,
  agentFunctions: 100,
  functionCounts: [1, 100, 300],
};

const QUICK: Plan = {
  ...FULL,
  quick: true,
  asyncS: 5,
  asyncWarmupS: 2,
  latencyS: 3,
  latencyWarmupS: 1,
  coldStartSamples: 50,
  memoryIsolates: 20,
  containerColdSamples: 5,
  containerWarmSamples: 50,
  containerMemory: 3,
  containerSteady: 100,
  agentFunctions: 100,
  functionCounts: [1, 100],
};

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'string' },
      'functions-max': { type: 'string' },
      'skip-deps': { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const rows = values.only === undefined ? [...ROWS] : values.only.split(',').map((r) => r.trim());
  for (const row of rows) {
    if (!(ROWS as readonly string[]).includes(row)) {
      throw new Error(`--only: unknown row "${row}" (rows: ${ROWS.join(', ')})`);
    }
  }
  const profile = values.profile;
  if (profile !== undefined && !(PROFILES as readonly string[]).includes(profile)) {
    throw new Error(`--profile: unknown target "${profile}" (one of ${PROFILES.join(', ')})`);
  }
  const plan = values.quick ? QUICK : FULL;
  const max = values['functions-max'];
  return {
    plan: max === undefined ? plan : { ...plan, functionCounts: functionSteps(max) },
    // A profile run measures only the row that holds the profiled target.
    rows: profile === undefined ? (rows as RowName[]) : [profile.split('-')[0] as RowName],
    ...(profile === undefined ? {} : { profile: profile as ProfileName }),
    skipDeps: values['skip-deps'],
    render: values.render,
    help: values.help,
  };
}

/** The functions row's steps up to `--functions-max`: 1, 100 and the maximum itself. */
function functionSteps(flag: string): number[] {
  const max = Number(flag);
  if (!Number.isInteger(max) || max < 1) {
    throw new Error(`--functions-max: a whole number of at least 1, got "${flag}"`);
  }
  return [...new Set([1, 100, max])].filter((n) => n <= max);
}
