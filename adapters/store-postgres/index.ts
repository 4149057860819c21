/** The PostgreSQL adapter of the Store port (pg), for several gateways sharing one state. */
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.ts';
