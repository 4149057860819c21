import { Router } from '@koa/router';
import Koa from 'koa';
import type { Subscription } from '../core/broker.ts';
import { createManifestValidator } from '../core/manifest.ts';
import type { ControlEvent, ResultEvent } from '../core/messages.ts';
import { Admission } from './admission.ts';
import { CallbackDispatcher } from './callbacks/callback-dispatcher.ts';
import { createDashboardState, registerDashboardRoutes } from './dashboard/dashboard.ts';
import { createDeadLetterRecorder } from './dead-letter-recorder.ts';
import { EventHub } from './events.ts';
import { functionEvent, nodeEvent } from './events-summaries.ts';
import { FunctionCatalog } from './function-catalog.ts';
import type { GatewayDeps, GatewayState } from './gateway-context.ts';
import {
  resolveGatewayOptions,
  type GatewayOptions,
  type ResolvedGatewayOptions,
} from './gateway-options.ts';
import { Invoker } from './invoker.ts';
import { GatewayMetrics } from './metrics.ts';
import { registerNodeMetrics } from './metrics-nodes.ts';
import { QueueFeed } from './dashboard/queue-feed.ts';
import { registerQueueMetrics } from './metrics-queues.ts';
import { callId } from './middleware/call-id.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { requestLog } from './middleware/request-log.ts';
import { sessionCookie } from './middleware/session-cookie.ts';
import { unmatchedRoute } from './middleware/unmatched-route.ts';
import { NodeRegistry } from './node-registry.ts';
import { QueueDepths } from './queue-depths.ts';
import { createResultRecorder } from './result-recorder.ts';
import { registerBundleRoutes } from './routes/bundles.ts';
import { registerDeployRoute } from './routes/deploy.ts';
import { registerDeadLetterRoutes } from './routes/dlq.ts';
import { registerFunctionRoutes } from './routes/functions.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerImageRoutes } from './routes/images.ts';
import { httpTrigger } from './routes/http-trigger.ts';
import { registerInvocationRoutes } from './routes/invocations.ts';
import { registerMetricsRoute } from './routes/metrics.ts';
import { registerNodeRoutes } from './routes/nodes.ts';
import { registerQueueRoutes } from './routes/queues.ts';
import { registerSecretRoutes } from './routes/secrets.ts';
import { forgetToken, registerTokenRoutes } from './routes/tokens.ts';
import { Scheduler } from './scheduler.ts';
import { TokenCache } from './token-cache.ts';

export type { GatewayOptions } from './gateway-options.ts';

/**
 * - `idle`: created; the app can serve, but no results are being recorded.
 * - `running`: recording results and following control events.
 * - `stopped`: subscriptions cancelled; the app still answers, with nothing recorded.
 */
export type GatewayLifecycle = 'idle' | 'running' | 'stopped';

/** A gateway as the composition root (server/stack.ts) uses it. */
export interface Gateway {
  /** The Koa app; serve `app.callback()` with node:http. */
  readonly app: Koa<GatewayState>;
  readonly state: GatewayLifecycle;
  /** This gateway's live events (what GET /v1/events streams). */
  readonly events: EventHub;
  /**
   * Starts recording results and dead letters from the broker, following heartbeats and
   * deploys, delivering callbacks and firing schedules.
   */
  start(): Promise<void>;
  /**
   * Cancels the broker subscriptions and ends the event streams (which would otherwise keep the
   * HTTP server from closing). Idempotent; does not close the broker or the store.
   */
  stop(): Promise<void>;
}

/**
 * The gateway: control API, HTTP triggers, async acceptance and result recording, over the
 * injected store and broker. It keeps no state a second gateway would need, apart from caches
 * and what it hears on the control fanout, so several can run behind one load balancer.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const resolved = resolveGatewayOptions(options);
  const { store, broker, logger } = resolved;
  const metrics = new GatewayMetrics(broker);
  const events = new EventHub(logger);
  const { admission, depths } = createAdmission(resolved, metrics);
  const recordResults = createResultRecorder(store, metrics, events);
  const callbacks = new CallbackDispatcher({ ...resolved, options: resolved.callbacks });
  const deps: GatewayDeps = {
    ...resolved,
    ...createDashboardState(resolved, events),
    metrics,
    events,
    functions: new FunctionCatalog(store, resolved.functionCacheTtlMs, resolved.now),
    tokens: new TokenCache(store, { ttlMs: resolved.tokenCacheTtlMs, now: resolved.now }),
    nodes: new NodeRegistry(resolved.heartbeatMs, resolved.now),
    invoker: new Invoker({
      ...resolved,
      metrics,
      events,
      record: recordResults,
      onCallback: () => callbacks.expect(),
    }),
    validateManifest: createManifestValidator(),
    admission,
    depths,
  };
  registerNodeMetrics(metrics.registry, deps.nodes);
  const queueFeed = new QueueFeed({
    events,
    depths,
    store,
    logger,
    intervalMs: resolved.dashboard.queueFeedMs,
  });
  const app = createApp(deps);
  const onResults = async (burst: readonly ResultEvent[]): Promise<void> => {
    await recordResults(burst);
    // An invocation may have ended here: its callback is due now, not at the next poll.
    const ended = (event: ResultEvent) =>
      event.type === 'finished' && event.result.next?.action !== 'retry';
    if (burst.some(ended)) callbacks.wake();
  };
  const scheduler = new Scheduler({
    ...resolved,
    accept: (request, options) => deps.invoker.accept(request, options),
  });
  const onDeadLetter = createDeadLetterRecorder(store, logger, events, () => callbacks.wake());

  let state: GatewayLifecycle = 'idle';
  const subscriptions: Subscription[] = [];
  const onControl = (event: ControlEvent): void => {
    if (event.type === 'heartbeat') events.publish(nodeEvent(deps.nodes.record(event.node)));
    else if (event.type === 'deployed') deps.functions.evict(event.fn.name);
    else if (event.type === 'deleted') deps.functions.evict(event.name);
    else if (event.type === 'token-deleted') forgetToken(deps, event.id);
    // Deploys, rollbacks and deletes of any gateway reach every gateway's dashboard this way.
    const change = functionEvent(event);
    if (change !== undefined) events.publish(change);
  };

  return {
    app,
    events,
    get state() {
      return state;
    },
    async start() {
      if (state !== 'idle') throw new Error(`gateway cannot start from state ${state}`);
      try {
        subscriptions.push(await broker.consumeResultBursts(onResults));
        subscriptions.push(await broker.consumeDeadLetters(onDeadLetter));
        subscriptions.push(await broker.onControl(onControl));
      } catch (error) {
        await cancelAll(subscriptions);
        throw error;
      }
      callbacks.start();
      admission.start();
      queueFeed.start();
      await scheduler.start();
      state = 'running';
      logger.info({}, 'gateway recording results');
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      events.close();
      await cancelAll(subscriptions);
      admission.stop();
      queueFeed.stop();
      await callbacks.stop();
      await scheduler.stop();
      // Sync results answered just before are still being recorded; the store closes after.
      await deps.invoker.settle();
    },
  };

  async function cancelAll(list: Subscription[]): Promise<void> {
    const cancelling = list.splice(0).map((s) => s.cancel());
    for (const outcome of await Promise.allSettled(cancelling)) {
      if (outcome.status === 'rejected') {
        logger.warn({ err: outcome.reason as unknown }, 'subscription not cancelled');
      }
    }
  }
}

/** Queue depths (for load shedding and metrics) and the admission of invocation requests. */
function createAdmission(
  resolved: ResolvedGatewayOptions,
  metrics: GatewayMetrics,
): { admission: Admission; depths: QueueDepths } {
  const { store, broker, logger, now } = resolved;
  const sampleMs = resolved.admissionLimits.queueSampleMs ?? 1000;
  const depths = new QueueDepths({ store, broker, now, maxAgeMs: sampleMs });
  registerQueueMetrics(metrics.registry, depths, store);
  const admission = new Admission({
    options: resolved.admissionLimits,
    depths,
    registry: metrics.registry,
    logger,
    now,
  });
  return { admission, depths };
}

/**
 * Middleware order matters: the call id comes first so every response and log line has it; the
 * request log wraps the error handler so it sees final statuses; the HTTP trigger sits before
 * the router because `/fn/NAME/...` belongs to the function, whatever the method or path.
 */
function createApp(deps: GatewayDeps): Koa<GatewayState> {
  const app = new Koa<GatewayState>({ proxy: deps.trustProxy });
  // Errors never reach Koa's default handler (which prints to stderr) except from a response
  // stream after headers went out; those go to the structured log.
  app.on('error', (error: unknown) => deps.logger.error({ err: error }, 'response failed'));

  // Every async invocation comes through the invocations API: a router of its own, tried first,
  // matches it against its few routes instead of all of them (a router tests every route's
  // pattern per request: 3 µs for 42). No path matches routes of both, and `ctx.matched` gathers
  // over both routers, so 405/501 with `Allow` and OPTIONS answer as from one router.
  const invocations = new Router<GatewayState>();
  registerInvocationRoutes(invocations, deps);
  const router = new Router<GatewayState>();
  registerHealthRoutes(router, deps);
  registerDeployRoute(router, deps);
  registerFunctionRoutes(router, deps);
  registerDeadLetterRoutes(router, deps);
  registerBundleRoutes(router, deps);
  registerImageRoutes(router, deps);
  registerNodeRoutes(router, deps);
  registerQueueRoutes(router, deps);
  registerSecretRoutes(router, deps);
  registerTokenRoutes(router, deps);
  registerMetricsRoute(router, deps);
  registerDashboardRoutes(router, deps);

  app.use(callId());
  app.use(requestLog(deps.logger));
  app.use(errorHandler(deps.logger));
  app.use(unmatchedRoute());
  app.use(sessionCookie(deps.sessions));
  app.use(httpTrigger(deps));
  app.use(invocations.routes());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
