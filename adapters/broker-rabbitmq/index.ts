/** The RabbitMQ adapter of the Broker port (see core/broker.ts). */
export { RabbitMqBroker } from './rabbitmq-broker.ts';
export type { RabbitMqBrokerOptions } from './options.ts';
