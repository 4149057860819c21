import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago, for servers that cannot report the port they
 * bound (workerd takes its address on the command line). Racy in principle; on a benchmark
 * machine nothing else is grabbing ports in that instant.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
