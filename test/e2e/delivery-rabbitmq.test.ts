/**
 * Retries (through RabbitMQ's delay-tier queues), dead letters, cancellation, idempotency keys
 * and callbacks with `fn up --broker amqp://...` on a real RabbitMQ.
 */
import { deliverySuite } from './delivery-suite.ts';
import { testVhost } from './support/rabbitmq.ts';

deliverySuite('RabbitMQ', ['--broker', testVhost()]);
