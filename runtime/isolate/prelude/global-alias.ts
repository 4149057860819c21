// fast-text-encoding installs itself on `global`; install.ts removes the alias again so user
// code does not mistake the isolate for Node.js.
(globalThis as Record<string, unknown>).global = globalThis;
