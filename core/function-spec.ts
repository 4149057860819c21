import type { Manifest } from './manifest.ts';
import type { FunctionSpec } from './messages.ts';

/** What a node needs to run one version: the manifest's runtime fields plus identity. */
export function toFunctionSpec(
  manifest: Manifest,
  version: number,
  bundleSha: string,
): FunctionSpec {
  return {
    name: manifest.name,
    version,
    bundleSha,
    runtime: manifest.runtime,
    memoryMb: manifest.memoryMb,
    timeoutMs: manifest.timeoutMs,
    concurrency: manifest.concurrency,
    env: manifest.env,
    ...(manifest.runtime === 'container' ? containerFields(manifest) : {}),
    ...(manifest.retries === undefined ? {} : { retries: manifest.retries }),
    ...(manifest.maxEventAgeMs === undefined ? {} : { maxEventAgeMs: manifest.maxEventAgeMs }),
    ...(manifest.egress === undefined ? {} : { egress: manifest.egress }),
    ...(manifest.cpuMs === undefined ? {} : { cpuMs: manifest.cpuMs }),
    ...(manifest.limits?.concurrency === undefined
      ? {}
      : { clusterConcurrency: manifest.limits.concurrency }),
    ...(manifest.secrets === undefined ? {} : { secrets: manifest.secrets }),
    ...(manifest.triggers.queue === undefined ? {} : { queue: manifest.triggers.queue }),
  };
}

function containerFields(manifest: Manifest): Partial<FunctionSpec> {
  const { network, cpus, pidsLimit, image, imageSha } = manifest;
  return {
    ...(network === undefined ? {} : { network }),
    ...(cpus === undefined ? {} : { cpus }),
    ...(pidsLimit === undefined ? {} : { pidsLimit }),
    ...(image === undefined ? {} : { image }),
    ...(imageSha === undefined ? {} : { imageSha }),
  };
}
