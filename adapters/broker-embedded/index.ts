/** The embedded adapter of the Broker port: one process, queues persisted in SQLite. */
export { EmbeddedBroker } from './embedded-broker.ts';
export type { EmbeddedBrokerOptions } from './embedded-broker-options.ts';
