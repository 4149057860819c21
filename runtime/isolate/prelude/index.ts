/**
 * Entry of the prelude bundle that runs first in every isolate. Polyfills install themselves on
 * import (order matters: the alias before fast-text-encoding); the host bridge arrives later
 * through the install function, which removes itself before any user code runs.
 */
import './global-alias.ts';
import 'fast-text-encoding';
import 'core-js/web/url';
import 'core-js/web/url-search-params';
import { INSTALL_GLOBAL } from '../protocol.ts';
import { install } from './install.ts';

Object.defineProperty(globalThis, INSTALL_GLOBAL, {
  value: install,
  writable: false,
  enumerable: false,
  configurable: true,
});
