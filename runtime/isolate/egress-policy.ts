/**
 * Which hosts a function may fetch from: fn.json `egress.allow`, deny by default. An entry is a
 * host name (`api.example.com`), a wildcard for its subdomains (`*.example.org`, which does not
 * match `example.org` itself) or an IP literal (`127.0.0.1`, `[::1]`), optionally with a port.
 * Without a port an entry allows the scheme's default port only (80 for http, 443 for https).
 *
 * Where an allowed host may connect is decided per address (host-fetch.ts): a name must resolve
 * to public addresses only, unless `egress.allowPrivate` is set; an IP literal the allow-list
 * names itself is taken as the operator's intent.
 */
import { isIP } from 'node:net';

interface Rule {
  /** Lower-case host, or the suffix after `*.` for a wildcard. */
  host: string;
  wildcard: boolean;
  /** Explicit port, or null for the scheme's default. */
  port: number | null;
}

const ENTRY = /^(\*\.)?([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;
const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

export type EgressDecision =
  | {
      allowed: true;
      /** May connect to non-public addresses: allowPrivate, or an allow-list entry names the IP. */
      trusted: boolean;
    }
  | { allowed: false; reason: string };

/** fn.json `egress` beyond the allow-list. */
export interface EgressOptions {
  /** Allowed hosts may resolve to loopback, private and other non-public addresses. */
  allowPrivate?: boolean;
}

export class EgressPolicy {
  readonly #rules: Rule[];
  readonly entries: readonly string[];
  readonly allowPrivate: boolean;

  /** Throws a TypeError naming the first entry that is not a host[:port] pattern. */
  constructor(allow: readonly string[] = [], options: EgressOptions = {}) {
    this.entries = [...allow];
    this.allowPrivate = options.allowPrivate === true;
    this.#rules = allow.map((entry) => {
      const match = ENTRY.exec(entry.trim().toLowerCase());
      const port = match?.[3] === undefined ? null : Number(match[3]);
      if (match === null || (port !== null && (port < 1 || port > 65_535))) {
        throw new TypeError(
          `egress.allow entry "${entry}" is not a host, *.domain or IP, with an optional :port`,
        );
      }
      return { host: match[2] ?? '', wildcard: match[1] !== undefined, port };
    });
  }

  check(url: URL): EgressDecision {
    const port = DEFAULT_PORTS[url.protocol];
    if (port === undefined) {
      return {
        allowed: false,
        reason: `only http: and https: URLs can be fetched, not ${url.protocol}`,
      };
    }
    const host = url.hostname.toLowerCase();
    const actualPort = url.port === '' ? port : Number(url.port);
    const target = url.port === '' ? host : `${host}:${url.port}`;
    const rule = this.#rules.find((rule) => {
      const hostMatches = rule.wildcard ? host.endsWith(`.${rule.host}`) : host === rule.host;
      return hostMatches && (rule.port ?? port) === actualPort;
    });
    if (rule !== undefined) {
      const namesIp = !rule.wildcard && isIP(host.replace(/^\[|\]$/g, '')) !== 0;
      return { allowed: true, trusted: this.allowPrivate || namesIp };
    }
    const listed =
      this.entries.length === 0
        ? 'egress.allow is empty'
        : `egress.allow is ${JSON.stringify(this.entries)}`;
    return {
      allowed: false,
      reason: `fetch to ${target} denied: it is not in fn.json egress.allow (${listed})`,
    };
  }
}
