/** Installs the host-backed globals, wired to the host bridge the host hands over exactly once. */
import { INSTALL_GLOBAL, type InstallFunction } from '../protocol.ts';
import { useTimers } from './abort.ts';
import { LogSink } from './console.ts';
import { createCrypto } from './crypto.ts';
import { reportEventErrors } from './events.ts';
import { createFetch } from './fetch.ts';
import { HostCalls } from './host-calls.ts';
import { createRuntime } from './runtime.ts';
import { createSubtle } from './subtle.ts';
import { Timers } from './timers.ts';
import { defineGlobals } from './web-globals.ts';

export const install: InstallFunction = (
  randomBytes,
  log,
  setTimer,
  clearTimer,
  hostCall,
  config,
) => {
  const scope = globalThis as Record<string, unknown>;
  delete scope[INSTALL_GLOBAL];

  const logs = new LogSink(log, config.logLimitBytes);
  const consoleObject = {
    ...logs.console(),
    dir: (value: unknown) => logs.write('info', [value]),
    trace: (...args: unknown[]) => logs.write('debug', ['Trace:', ...args, new Error().stack]),
    assert: (condition: unknown, ...args: unknown[]) => {
      if (!condition) logs.write('error', ['Assertion failed', ...args]);
    },
  };
  const reportUncaught = (error: unknown): void => logs.write('error', ['Uncaught', error]);
  reportEventErrors(reportUncaught, (message) => logs.write('warn', [message]));
  const timers = new Timers({ setTimer, clearTimer }, config.maxTimers, reportUncaught);
  useTimers((callback, delay) => timers.set(callback, delay, [], false));
  const host = new HostCalls(hostCall);
  const crypto = Object.assign(createCrypto(randomBytes), { subtle: createSubtle(host) });
  const timeOrigin = Date.now();

  defineGlobals({
    console: consoleObject,
    crypto,
    fetch: createFetch(host, config.maxResponseBytes),
    // Millisecond resolution, like Workers: a finer clock would help timing side channels.
    performance: { timeOrigin, now: () => Date.now() - timeOrigin },
    setTimeout: (callback: unknown, delay?: unknown, ...args: unknown[]) =>
      timers.set(callback, delay, args, false),
    setInterval: (callback: unknown, delay?: unknown, ...args: unknown[]) =>
      timers.set(callback, delay, args, true),
    clearTimeout: (id: unknown) => timers.clear(id),
    clearInterval: (id: unknown) => timers.clear(id),
    queueMicrotask: (callback: unknown) => {
      if (typeof callback !== 'function') {
        throw new TypeError('The "callback" argument must be of type function');
      }
      Promise.resolve()
        .then(() => (callback as () => void)())
        .catch(reportUncaught);
    },
  });

  return createRuntime({ logs, timers, host, maxResponseBytes: config.maxResponseBytes });
};
