/**
 * Test hosts for multi-host tests: network namespaces made by the test itself, each joined to
 * this host by a veth pair, so a runtime node runs "elsewhere" and can be cut off like a pulled
 * cable. Addresses come from 198.18.0.0/15, the range set aside for network tests (RFC 2544).
 * The services a test host talks to (RabbitMQ, the gateway) listen on an address of an
 * interface of their own, which stays reachable whichever host is cut off.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { after } from 'node:test';

export interface TestHost {
  /** The network namespace. */
  name: string;
  /** Its own address. */
  address: string;
  /** Runs a command on it: `['ip', 'netns', 'exec', name]`, for startFn's `prefix`. */
  prefix: string[];
  /** Takes its link down on this side: nothing goes in or out any more, no one is told. */
  cut(): void;
}

export interface TestNetwork {
  /** An address of this host that every test host reaches. */
  serviceAddress: string;
  hosts: TestHost[];
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A /24 of 198.18.0.0/15 per host and one for the services, none in use on this machine. */
function freeSubnets(count: number): number[] {
  const used = ip('-4', '-o', 'addr', 'show');
  for (let tries = 0; tries < 20; tries++) {
    const first = randomInt(0, 500 - count);
    const picked = Array.from({ length: count }, (_, i) => first + i);
    if (picked.every((n) => !used.includes(` ${subnet(n)}.`))) return picked;
  }
  throw new Error('no free 198.18.0.0/15 subnets for test hosts');
}

/** The first three octets of the n-th /24 of 198.18.0.0/15. */
function subnet(n: number): string {
  return `198.${18 + Math.floor(n / 256)}.${n % 256}`;
}

/**
 * Creates `count` test hosts and the services' address, all removed when the test file ends
 * (the processes running on a host must be stopped by then: a namespace lives on while a
 * process is inside it).
 */
export function createTestNetwork(count: number): TestNetwork {
  const id = randomBytes(3).toString('hex');
  const [serviceNet = 0, ...hostNets] = freeSubnets(count + 1);
  const service = `fjs${id}`;
  const made: (() => void)[] = [];
  after(() => {
    for (const undo of made.reverse()) {
      try {
        undo();
      } catch {
        // Already gone (a veth goes with its namespace).
      }
    }
  });
  // A veth pair with both ends here: an interface that stays up whichever host is cut off (the
  // dummy driver is not available everywhere).
  ip('link', 'add', service, 'type', 'veth', 'peer', 'name', `fjt${id}`);
  made.push(() => ip('link', 'del', service));
  const serviceAddress = `${subnet(serviceNet)}.1`;
  ip('addr', 'add', `${serviceAddress}/32`, 'dev', service);
  ip('link', 'set', `fjt${id}`, 'up');
  ip('link', 'set', service, 'up');

  const hosts = hostNets.map((net, i): TestHost => {
    const name = `fjord-${id}-${i}`;
    const outside = `fjh${id}${i}`;
    const inside = `fjn${id}${i}`;
    const gateway = `${subnet(net)}.1`;
    const address = `${subnet(net)}.2`;
    ip('netns', 'add', name);
    made.push(() => ip('netns', 'del', name));
    ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    made.push(() => ip('link', 'del', outside));
    ip('link', 'set', inside, 'netns', name);
    ip('addr', 'add', `${gateway}/24`, 'dev', outside);
    ip('link', 'set', outside, 'up');
    const inNs = (...args: string[]): string => ip('netns', 'exec', name, 'ip', ...args);
    inNs('addr', 'add', `${address}/24`, 'dev', inside);
    inNs('link', 'set', inside, 'up');
    inNs('link', 'set', 'lo', 'up');
    inNs('route', 'add', 'default', 'via', gateway);
    return {
      name,
      address,
      prefix: ['ip', 'netns', 'exec', name],
      cut: () => void ip('link', 'set', outside, 'down'),
    };
  });
  return { serviceAddress, hosts };
}

/**
 * A RabbitMQ user of the vhost in `amqpUrl` that may connect from other hosts (`guest` may only
 * connect over loopback), deleted when the test file ends; returns the URL with its credentials.
 */
export function remoteAmqpUser(amqpUrl: string): string {
  const url = new URL(amqpUrl);
  const vhost = decodeURIComponent(url.pathname.slice(1)) || '/';
  const user = `fjord-test-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const ctl = (...args: string[]): void => {
    execFileSync('rabbitmqctl', ['-q', ...args], { stdio: 'ignore', timeout: 180_000 });
  };
  ctl('add_user', user, password);
  after(() => ctl('delete_user', user));
  ctl('set_permissions', '-p', vhost, user, '.*', '.*', '.*');
  url.username = user;
  url.password = password;
  return url.toString();
}
