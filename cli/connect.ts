import { GatewayClient } from './client.ts';
import type { Io } from './command.ts';
import { resolveConnection } from './credentials.ts';

/** The client for a command's --gateway/--token/--data-dir flags, environment and files. */
export function connect(
  values: { gateway?: string; token?: string; 'data-dir'?: string },
  io: Io,
): GatewayClient {
  const { gateway, token } = resolveConnection(
    { gateway: values.gateway, token: values.token, dataDir: values['data-dir'] },
    io.env,
    io.cwd,
  );
  return new GatewayClient({ gateway, token, signal: io.signal });
}
