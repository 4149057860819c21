/**
 * A stand-in host process for bench/micro/host-process-parent.ts: speaks host-protocol.ts but
 * runs nothing, answering each message's invocations with one `outcomes` message at once, so
 * the parent's side of the hop (encoding, the write, reading and settling the answers) is all
 * that is measured.
 */
process.on('message', (message: { type: string; id?: number; invocations?: { id: number }[] }) => {
  if (message.type === 'init') return process.send?.({ type: 'ready' });
  const ids =
    message.type === 'invoke'
      ? [message.id ?? 0]
      : message.type === 'invokes'
        ? (message.invocations ?? []).map((invocation) => invocation.id)
        : [];
  if (message.type === 'dispose') process.exit(0);
  if (ids.length === 0) return;
  const results = ids.map((id) => ({
    id,
    outcome: { ok: true, value: { ok: true, n: 1 }, coldStart: false, durationMs: 0.1, logs: [] },
  }));
  process.send?.({ type: 'outcomes', results, instances: 1 });
});
process.on('disconnect', () => process.exit(0));
