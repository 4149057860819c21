/** Machine and software details recorded with every run. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MachineInfo } from '../model.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** stdout of a command, trimmed; undefined when it fails (a missing tool is not fatal here). */
function output(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { cwd: REPO, encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return undefined;
  }
}

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  const rabbitmq = output('/usr/sbin/rabbitmqctl', ['-q', 'version']);
  const celery = output('/usr/bin/python3', ['-c', 'import celery; print(celery.__version__)']);
  const workerd = output(`${REPO}node_modules/workerd/bin/workerd`, ['--version']);
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    ...(rabbitmq === undefined ? {} : { rabbitmq }),
    ...(celery === undefined ? {} : { celery }),
    ...(workerd === undefined ? {} : { workerd: workerd.replace(/^workerd\s+/, '') }),
    gitCommit: output('git', ['rev-parse', 'HEAD']) ?? 'unknown',
    gitDirty: (output('git', ['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    loadavgStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
