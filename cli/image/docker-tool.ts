import { CliError } from '../errors.ts';
import { runTool, type ToolResult } from './run-tool.ts';

const NO_ENGINE_HINT =
  'fn deploy builds container images with the local Docker engine: install docker.io and start dockerd (bash scripts/ensure-docker.sh), or set DOCKER_HOST';

/**
 * Fails with DOCKER_UNAVAILABLE (and what to do) unless the docker CLI is installed and its
 * engine answers, before any slow step starts.
 */
export async function requireDocker(signal?: AbortSignal): Promise<void> {
  const result = await runTool('docker', ['version', '--format', '{{.Server.Version}}'], {
    ...(signal === undefined ? {} : { signal }),
  });
  if (result.error?.code === 'ENOENT') {
    throw new CliError('the docker command is not installed on this host', {
      code: 'DOCKER_UNAVAILABLE',
      hint: NO_ENGINE_HINT,
    });
  }
  if (result.code !== 0) {
    throw new CliError(
      `no Docker engine answers on this host: ${result.tail.at(-1) ?? result.error?.message ?? 'docker version failed'}`,
      { code: 'DOCKER_UNAVAILABLE', hint: NO_ENGINE_HINT },
    );
  }
}

/** Runs `docker ARGS...` and returns its result; output is echoed when `echo` is given. */
export function docker(
  args: string[],
  options: {
    cwd?: string;
    echo?: NodeJS.WritableStream;
    stdin?: string;
    signal?: AbortSignal;
  } = {},
): Promise<ToolResult> {
  return runTool('docker', args, options);
}
