/** Installs the Web API globals, wired to the host bridge the host hands over exactly once. */
import { INSTALL_GLOBAL, type InstallFunction } from '../protocol.ts';
import { atob, btoa } from './base64.ts';
import { LogSink } from './console.ts';
import { createCrypto } from './crypto.ts';
import { Headers } from './headers.ts';
import { Request } from './request.ts';
import { Response } from './response.ts';
import { createRuntime } from './runtime.ts';
import { structuredClone } from './structured-clone.ts';
import { Timers } from './timers.ts';

function defineGlobals(values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) {
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
}

export const install: InstallFunction = (randomBytes, log, setTimer, clearTimer, config) => {
  const scope = globalThis as Record<string, unknown>;
  delete scope[INSTALL_GLOBAL];
  delete scope.global;

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
  const timers = new Timers({ setTimer, clearTimer }, config.maxTimers, reportUncaught);
  const timeOrigin = Date.now();

  defineGlobals({
    Headers,
    Request,
    Response,
    atob,
    btoa,
    structuredClone,
    console: consoleObject,
    crypto: createCrypto(randomBytes),
    performance: { timeOrigin, now: () => Date.now() - timeOrigin },
    self: globalThis,
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

  return createRuntime({ logs, timers, maxResponseBytes: config.maxResponseBytes });
};
