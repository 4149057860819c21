/**
 * Entry of the prelude bundle that runs first in every isolate (or once, into the snapshot).
 * core-js installs URL and URLSearchParams on import and the host-free Web APIs are installed
 * here; the host-backed ones come from the install function, which the host calls once with the
 * host bridge and which removes itself before any user code runs.
 */
import 'core-js/web/url';
import 'core-js/web/url-search-params';
import { INSTALL_GLOBAL } from '../protocol.ts';
import { install } from './install.ts';
import { installWebGlobals } from './web-globals.ts';

installWebGlobals();

Object.defineProperty(globalThis, INSTALL_GLOBAL, {
  value: install,
  writable: false,
  enumerable: false,
  configurable: true,
});
