/**
 * A wait in a line of invocations for something only the line's owner hands out (a free
 * instance, a function's slot), given up when the invocation's signal aborts (its deadline):
 * the waiter leaves the line and the wait fails with the owner's error.
 */

/** One place in a line: settled once, by the owner (served or failed) or by the abort. */
export interface LineWaiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

export interface Line<T> {
  /** Puts the waiter in the line. */
  join(waiter: LineWaiter<T>): void;
  /** Takes the waiter out of the line: its signal aborted first. */
  leave(waiter: LineWaiter<T>): void;
  /** The error of a wait given up. */
  aborted(): Error;
}

/** Waits in `line` until the owner settles the waiter, or `signal` aborts. */
export function waitInLine<T>(signal: AbortSignal, line: Line<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      line.leave(waiter);
      reject(line.aborted());
    };
    const waiter: LineWaiter<T> = {
      resolve: (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      reject: (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    line.join(waiter);
  });
}
