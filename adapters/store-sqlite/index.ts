/** The SQLite adapter of the Store port (node:sqlite, no native addon). */
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';
