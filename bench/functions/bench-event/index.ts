/** The trivial event handler of the async-throughput row (Celery's task does the same). */
export default async function (event: { n?: number }): Promise<{ ok: true; n: number | null }> {
  return { ok: true, n: event.n ?? null };
}
