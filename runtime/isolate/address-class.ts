/**
 * Which addresses a function's fetch must not reach unless its fn.json says so: the node's own
 * loopback, private networks, link-local (the cloud metadata service at 169.254.169.254 among
 * them), carrier-grade NAT, unspecified, multicast and reserved ranges, also when written as
 * IPv6 forms that embed one of these IPv4 addresses (IPv4-mapped `::ffff:a.b.c.d`,
 * IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:AABB:CCDD::`).
 */
import { BlockList, isIP } from 'node:net';

/** The kind of a non-public address, named in EGRESS_DENIED messages. */
export type AddressClass =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'carrier-grade NAT'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

type Range = readonly [address: string, prefix: number];

const IPV4: Readonly<Record<AddressClass, readonly Range[]>> = {
  loopback: [['127.0.0.0', 8]],
  private: [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
  ],
  'link-local': [['169.254.0.0', 16]],
  'carrier-grade NAT': [['100.64.0.0', 10]],
  // 0.0.0.0/8 is "this network": connecting to 0.0.0.0 reaches the node itself.
  unspecified: [['0.0.0.0', 8]],
  multicast: [['224.0.0.0', 4]],
  // IETF protocol assignments, benchmarking, and 240/4 up to the broadcast address.
  reserved: [
    ['192.0.0.0', 24],
    ['198.18.0.0', 15],
    ['240.0.0.0', 4],
  ],
};

const IPV6: Readonly<Partial<Record<AddressClass, readonly Range[]>>> = {
  loopback: [['::1', 128]],
  private: [['fc00::', 7]],
  'link-local': [['fe80::', 10]],
  unspecified: [['::', 128]],
  multicast: [['ff00::', 8]],
};

/** The IPv6 spellings of an IPv4 range: [prefix address, prefix length] for each embedding. */
function embeddings([address, prefix]: Range): Range[] {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  const high = ((a << 8) | b).toString(16);
  const low = ((c << 8) | d).toString(16);
  return [
    [`::ffff:${high}:${low}`, 96 + prefix],
    [`::${high}:${low}`, 96 + prefix],
    [`64:ff9b::${high}:${low}`, 96 + prefix],
    [`2002:${high}:${low}::`, 16 + prefix],
  ];
}

/** One block list per class, so a match can say which class it found. */
const CLASSES: readonly (readonly [AddressClass, BlockList])[] = (
  Object.keys(IPV4) as AddressClass[]
).map((name) => {
  const list = new BlockList();
  for (const range of IPV4[name]) {
    list.addSubnet(range[0], range[1], 'ipv4');
    for (const [address, prefix] of embeddings(range)) list.addSubnet(address, prefix, 'ipv6');
  }
  for (const [address, prefix] of IPV6[name] ?? []) list.addSubnet(address, prefix, 'ipv6');
  return [name, list] as const;
});

/**
 * The class of `address` (an IPv4 or IPv6 literal, without brackets) when a function may not
 * reach it by default, or undefined for a public address. Anything that is not an IP literal is
 * reported as `reserved`: an address this cannot read is never let through.
 */
export function privateAddressClass(address: string): AddressClass | undefined {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [name, list] of CLASSES) if (list.check(address, type)) return name;
  return undefined;
}
