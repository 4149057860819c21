import type { Output } from './command.ts';

/** Progress of a long step on stderr. */
export interface Progress {
  /** A new step begins. */
  step(text: string): void;
  /** The whole task ended; the spinner (if any) disappears. */
  stop(): void;
}

/**
 * An ora spinner when `stream` is a terminal, plain lines otherwise (CI logs and pipes get no
 * escape codes). ora loads only when a spinner is shown.
 */
export async function createProgress(stream: Output): Promise<Progress> {
  // ora divides by the terminal width: a terminal reporting 0 columns (script(1), some CI
  // pseudo-terminals) would make it loop forever.
  if (!stream.isTTY || !(Number(stream.columns) > 0)) {
    return { step: (text) => stream.write(`${text}...\n`), stop: () => {} };
  }
  const { default: ora } = await import('ora');
  // discardStdin would put stdin in raw mode and swallow Ctrl-C while the spinner runs.
  const spinner = ora({ stream, discardStdin: false });
  return {
    step: (text) => {
      spinner.text = text;
      if (!spinner.isSpinning) spinner.start();
    },
    stop: () => spinner.stop(),
  };
}
