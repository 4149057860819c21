/** Retries, dead letters, cancellation, idempotency keys and callbacks on the embedded broker. */
import { deliverySuite } from './delivery-suite.ts';

deliverySuite('the embedded broker', []);
