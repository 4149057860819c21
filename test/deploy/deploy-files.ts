/**
 * Reading the deployment files as data for test/deploy/: YAML through Debian's python3-yaml
 * (scripts/ensure-deploy-tools.sh installs it; Node has no YAML parser and the project none of
 * its own), the options `fn <command> --help` really lists, and the FN_* variables the code reads.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFn } from '../e2e/support/fn-process.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The file at `path` (relative to the repository) parsed as YAML, anchors and aliases resolved. */
export function readYaml(path: string): unknown {
  const json = execFileSync(
    '/usr/bin/python3',
    ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'],
    { input: readFileSync(join(REPO, path)), encoding: 'utf8' },
  );
  return JSON.parse(json) as unknown;
}

/** The long options `fn COMMAND --help` lists, without their dashes (`broker`, `port`, ...). */
export async function fnOptions(command: string): Promise<Set<string>> {
  const { code, stdout, stderr } = await runFn([command, '--help']);
  if (code !== 0) throw new Error(`fn ${command} --help exited ${code}: ${stderr}`);
  const options = stdout.slice(stdout.indexOf('Options:'));
  return new Set([...options.matchAll(/^\s+(?:-\w, )?--([a-z][a-z-]*)/gm)].map((m) => m[1] ?? ''));
}

/** The `--flag`s among `words` (a command line), without their dashes. */
export function flagsOf(words: readonly string[]): string[] {
  return words.filter((w) => /^--[a-z]/.test(w)).map((w) => w.slice(2).split('=')[0] ?? '');
}

const SOURCE_DIRS = ['bin', 'cli', 'core', 'gateway', 'runtime', 'server', 'adapters', 'docker'];

/** Every FN_* variable the code that runs names (sources and image entrypoints): the ones it reads. */
export function variablesInCode(): Set<string> {
  const names = new Set<string>();
  for (const dir of SOURCE_DIRS) {
    for (const entry of readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.(ts|mjs)$/.test(entry.name)) continue;
      const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
      for (const [name] of text.matchAll(/\bFN_[A-Z][A-Z0-9_]*/g)) names.add(name);
    }
  }
  return names;
}
