/**
 * The Web APIs that need nothing from the host. They are installed when the prelude is
 * evaluated, so in snapshot mode they are already part of every new isolate's heap; the install
 * function adds the host-backed ones (console, crypto, fetch, timers) later.
 */
import { URLPattern } from 'urlpattern-polyfill/urlpattern';
import { AbortController, AbortSignal } from './abort.ts';
import { atob, btoa } from './base64.ts';
import { Blob, File } from './blob.ts';
import { DOMException } from './dom-exception.ts';
import { Event, EventTarget } from './events.ts';
import { FormData } from './form-data.ts';
import { Headers } from './headers.ts';
import { NonRetryableError } from './non-retryable-error.ts';
import { Request } from './request.ts';
import { Response } from './response.ts';
import * as streams from './streams.ts';
import { structuredClone } from './structured-clone.ts';
import { CryptoKey, SubtleCrypto } from './subtle.ts';
import { TextDecoder, TextEncoder } from './text-encoding.ts';

/** Defines globals the way Web IDL does: writable, configurable, not enumerable. */
export function defineGlobals(values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) {
    Object.defineProperty(globalThis, name, {
      value,
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
}

export function installWebGlobals(): void {
  defineGlobals({
    ...streams,
    AbortController,
    AbortSignal,
    Blob,
    CryptoKey,
    DOMException,
    Event,
    EventTarget,
    File,
    FormData,
    Headers,
    NonRetryableError,
    Request,
    Response,
    SubtleCrypto,
    TextDecoder,
    TextEncoder,
    URLPattern,
    atob,
    btoa,
    structuredClone,
    navigator: Object.freeze({ userAgent: 'Fjord', hardwareConcurrency: 1, language: 'en' }),
    self: globalThis,
  });
}
