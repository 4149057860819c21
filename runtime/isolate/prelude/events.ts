/**
 * Event and EventTarget from event-target-shim (spec-conformant, pure JS). A listener that
 * throws is reported on the invocation's console instead of stopping the dispatch.
 */
import { Event, EventTarget, setErrorHandler, setWarningHandler } from 'event-target-shim';

export { Event, EventTarget };

/** Routes listener errors and the library's misuse warnings to the function's console. */
export function reportEventErrors(
  report: (error: unknown) => void,
  warn: (message: string) => void,
): void {
  setErrorHandler(report);
  setWarningHandler((warning) => warn(warning.message));
}
