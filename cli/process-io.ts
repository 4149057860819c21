import type { Io } from './command.ts';

/**
 * The real process as an {@link Io}. The first SIGINT or SIGTERM aborts `signal`, so commands
 * can stop cleanly (`fn up` drains, `fn logs -f` ends); a second one exits at once.
 */
export function processIo(): Io {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort(new Error(`received ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
}
