// The image's HEALTHCHECK: exits 0 when the gateway answers GET /healthz, 1 otherwise (also on
// no answer within 4 s, under the HEALTHCHECK timeout). FN_HEALTHCHECK_URL overrides the address
// for a gateway started with another --port.
const url = process.env.FN_HEALTHCHECK_URL ?? 'http://127.0.0.1:8080/healthz';
const response = await fetch(url, { signal: AbortSignal.timeout(4000) }).catch(() => undefined);
process.exit(response?.ok ? 0 : 1);
