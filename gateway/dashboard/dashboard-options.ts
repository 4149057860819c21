/** Tunables of the dashboard, its sessions and the live event stream. */
export interface DashboardOptions {
  /** How long a dashboard login lasts. Default 8 hours. */
  sessionTtlMs: number;
  /** Sessions kept at once; the oldest is ended beyond this. Default 10,000. */
  maxSessions: number;
  /** Invocations `GET /v1/overview` lists. Default 100. */
  recentInvocations: number;
  /**
   * How often an idle event stream gets a comment line, so proxies and browsers keep it open and
   * a vanished client is noticed. Default 15 s.
   */
  eventHeartbeatMs: number;
  /**
   * Bytes an event stream may have waiting to be sent; a client that falls further behind is
   * disconnected (its EventSource reconnects and reloads the overview) instead of the gateway
   * buffering for it without bound. Default 1 MiB.
   */
  eventBufferBytes: number;
  /**
   * How often, while a dashboard follows the events, queue depths and dead letters are looked
   * at and sent as a `queues` event when they changed. Default 2 s.
   */
  queueFeedMs: number;
}

export const DEFAULT_DASHBOARD_OPTIONS: DashboardOptions = {
  sessionTtlMs: 8 * 60 * 60 * 1000,
  maxSessions: 10_000,
  recentInvocations: 100,
  eventHeartbeatMs: 15_000,
  eventBufferBytes: 1024 * 1024,
  queueFeedMs: 2000,
};
