import type { Command } from '../command.ts';
import { deploy } from './deploy.ts';
import { dlq } from './dlq.ts';
import { init } from './init.ts';
import { invoke } from './invoke.ts';
import { logs } from './logs.ts';
import { ls } from './ls.ts';
import { nodes } from './nodes.ts';
import { publish } from './publish.ts';
import { rm } from './rm.ts';
import { rollback } from './rollback.ts';
import { secret } from './secret.ts';
import { status } from './status.ts';
import { token } from './token.ts';
import { versions } from './versions.ts';

/** The commands that write functions or talk to a gateway, in the order `fn --help` lists them. */
export const FUNCTION_COMMANDS: readonly Command[] = [
  init,
  deploy,
  invoke,
  publish,
  ls,
  logs,
  status,
  versions,
  rollback,
  rm,
  dlq,
  nodes,
  secret,
  token,
];
