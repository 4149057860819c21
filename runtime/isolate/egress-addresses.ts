/**
 * Where one hop of a function's fetch may connect: the host's addresses, resolved once on the
 * node and checked here, are the only ones the request may use (egress-transport.ts connects to
 * exactly these), so a second DNS answer (DNS rebinding) cannot send it elsewhere.
 */
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { privateAddressClass } from './address-class.ts';
import { HostCallError } from './host-calls.ts';

/** Resolves a host name to every address it has. */
export type EgressLookup = (hostname: string) => Promise<LookupAddress[]>;

/** The node's resolver (getaddrinfo, so /etc/hosts counts), every address in its order. */
export const systemLookup: EgressLookup = (hostname) =>
  lookup(hostname, { all: true, order: 'verbatim' });

/**
 * The addresses `url` may be fetched from. A name whose addresses include a non-public one is
 * refused with EGRESS_DENIED, naming the address and its class, unless `trusted` (the function
 * may reach such addresses, or its allow-list names this IP literal); so is an IP literal that
 * is not trusted.
 */
export async function hopAddresses(
  url: URL,
  trusted: boolean,
  resolve: EgressLookup,
): Promise<LookupAddress[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  let addresses: LookupAddress[];
  if (family !== 0) {
    addresses = [{ address: host, family }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new HostCallError(
        'TypeError',
        `fetch to ${url.host} failed: ${host} could not be resolved (${String(code ?? error)})`,
      );
    }
    if (addresses.length === 0) {
      throw new HostCallError('TypeError', `fetch to ${url.host} failed: ${host} has no address`);
    }
  }
  if (trusted) return addresses;
  for (const { address } of addresses) {
    const kind = privateAddressClass(address);
    if (kind === undefined) continue;
    const article = /^[aeiou]/.test(kind) ? 'an' : 'a';
    const what =
      family === 0
        ? `${host} resolves to ${address}, ${article} ${kind} address`
        : `${address} is ${article} ${kind} address`;
    throw new HostCallError(
      'TypeError',
      `fetch to ${url.host} denied: ${what}; list the IP itself in fn.json egress.allow or set egress.allowPrivate to reach it`,
      'EGRESS_DENIED',
    );
  }
  return addresses;
}
