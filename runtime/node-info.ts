import { availableParallelism, hostname, loadavg } from 'node:os';
import type { FunctionSpec, NodeInfo } from '../core/messages.ts';

/**
 * What a node reports beyond the agent's own state, supplied by the composition root (which
 * knows the version, the executors and whether the Docker engine answered).
 */
export interface NodeResources {
  /** The Fjord version this node runs. */
  version?: string;
  /** The runtimes it can run now. */
  runtimes?: FunctionSpec['runtime'][];
  /** Warm instances by runtime, read at each heartbeat. */
  warm?: () => Partial<Record<FunctionSpec['runtime'], number>>;
}

/** The agent's side of a heartbeat. */
export type AgentFacts = Pick<
  NodeInfo,
  'id' | 'startedAt' | 'state' | 'inflight' | 'functions' | 'capacity' | 'heartbeatMs'
>;

/** A heartbeat's {@link NodeInfo}: the agent's facts, the host's load and the node's resources. */
export function describeNode(facts: AgentFacts, resources: NodeResources = {}): NodeInfo {
  const [oneMinute = 0] = loadavg();
  const warm = resources.warm?.() ?? {};
  return {
    ...facts,
    hostname: hostname(),
    loadAvg: Math.round(oneMinute * 100) / 100,
    cpus: availableParallelism(),
    warm: { isolate: warm.isolate ?? 0, container: warm.container ?? 0 },
    ...(resources.runtimes === undefined ? {} : { runtimes: [...resources.runtimes] }),
    ...(resources.version === undefined ? {} : { version: resources.version }),
  };
}
