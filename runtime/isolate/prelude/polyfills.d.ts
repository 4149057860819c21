// core-js entry points installed for their side effects only (URL, URLSearchParams).
declare module 'core-js/web/url';
declare module 'core-js/web/url-search-params';

// event-target-shim ships types, but its "exports" map does not point at them; these are the
// parts the prelude uses.
declare module 'event-target-shim' {
  export class Event {
    constructor(
      type: string,
      init?: { bubbles?: boolean; cancelable?: boolean; composed?: boolean },
    );
    readonly type: string;
    readonly target: unknown;
    readonly defaultPrevented: boolean;
    preventDefault(): void;
    stopImmediatePropagation(): void;
  }
  export class EventTarget {
    addEventListener(type: string, listener: unknown, options?: unknown): void;
    removeEventListener(type: string, listener: unknown, options?: unknown): void;
    dispatchEvent(event: Event): boolean;
  }
  export function getEventAttributeValue(target: EventTarget, type: string): unknown;
  export function setEventAttributeValue(
    target: EventTarget,
    type: string,
    callback: ((event: Event) => void) | null,
  ): void;
  export function setErrorHandler(handler: ((error: Error) => void) | undefined): void;
  export function setWarningHandler(
    handler: ((warning: { code: string; message: string; args: unknown[] }) => void) | undefined,
  ): void;
}
