/**
 * The Docker CLI, for checking from the outside what the executor did: an independent view of
 * the engine's state rather than the executor's own account.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args);
  return stdout.trim();
}

/** `docker inspect` of one container. */
export async function inspect(id: string): Promise<ContainerInfo> {
  const [info] = JSON.parse(await docker('inspect', id)) as ContainerInfo[];
  if (info === undefined) throw new Error(`no container ${id}`);
  return info;
}

/** Whether the engine still knows the container. */
export async function exists(id: string): Promise<boolean> {
  return docker('inspect', id).then(
    () => true,
    () => false,
  );
}

/** Ids of the containers (running or not) that run function `name`. */
export async function containersOf(name: string): Promise<string[]> {
  const out = await docker('ps', '-a', '-q', '--no-trunc', '--filter', `label=fjord.fn=${name}`);
  return out === '' ? [] : out.split('\n');
}

/** The fields of `docker inspect` the tests read. */
export interface ContainerInfo {
  Id: string;
  Config: { User: string; Labels: Record<string, string> };
  State: { Running: boolean; OOMKilled: boolean; ExitCode: number };
  HostConfig: {
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    Privileged: boolean;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    PidsLimit: number | null;
    NetworkMode: string;
    Init: boolean | null;
    Tmpfs: Record<string, string> | null;
    Binds: string[] | null;
  };
}
