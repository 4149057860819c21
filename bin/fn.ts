#!/usr/bin/env node
/**
 * The `fn` command: the function commands of cli/ and the serving commands of server/ (which
 * cli/ may not import), composed into one program.
 */
import { createRequire } from 'node:module';
import { FUNCTION_COMMANDS } from '../cli/commands/index.ts';
import { runCli } from '../cli/main.ts';
import { processIo } from '../cli/process-io.ts';
import { SERVE_COMMANDS } from '../server/serve-commands.ts';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

process.exitCode = await runCli(
  process.argv.slice(2),
  { commands: [...SERVE_COMMANDS, ...FUNCTION_COMMANDS], version },
  processIo(),
);
