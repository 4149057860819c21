import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type ts from 'typescript';
import { FjordError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest.ts';
import { displayPath } from './paths.ts';

/** The author types Fjord ships; `fn init` copies them into new function folders. */
export const FJORD_TYPES = fileURLToPath(new URL('../../types/fjord.d.ts', import.meta.url));

const MAX_DIAGNOSTICS = 20;

/**
 * The folder holding Fjord's own `@types/node`. TypeScript 6 no longer adds `@types/node` by
 * itself, and a function folder outside this repository has no copy of its own, so container
 * functions take Node's types from here.
 */
function nodeTypeRoot(): string {
  const manifest = createRequire(import.meta.url).resolve('@types/node/package.json');
  return dirname(dirname(manifest));
}

/**
 * Parsed library files, shared by every check in this process: they are most of the work of a
 * program and never change, so `fn up` and tests pay for parsing them once.
 */
const libraryFiles = new Map<string, ts.SourceFile | undefined>();

/**
 * Type-checks a function with the TypeScript compiler: its entry, the `.d.ts` files beside it,
 * and Fjord's author types unless the folder has its own copy. Isolates get the WebWorker
 * library and no Node types, so Node globals fail here as they would at run time; containers run
 * on Node and get its types.
 */
export async function typecheckFunction(
  dir: string,
  entryPath: string,
  runtime: Manifest['runtime'],
  cwd: string,
): Promise<void> {
  const { default: typescript } = await import('typescript');
  const declarations = (await readdir(dir)).filter((file) => file.endsWith('.d.ts'));
  const roots = [entryPath, ...declarations.map((file) => join(dir, file))];
  if (!declarations.includes('fjord.d.ts')) roots.push(FJORD_TYPES);
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    isolatedModules: true,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    target: typescript.ScriptTarget.ES2023,
    module: typescript.ModuleKind.ESNext,
    moduleResolution: typescript.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.webworker.d.ts'],
    // Isolate functions must not see @types/node, even when a parent folder has it installed.
    ...(runtime === 'isolate' ? { types: [] } : { types: ['node'], typeRoots: [nodeTypeRoot()] }),
  };
  const host = typescript.createCompilerHost(options);
  const libraryDir = host.getDefaultLibLocation?.() ?? '';
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (!fileName.startsWith(libraryDir)) return getSourceFile(fileName, languageVersion, ...rest);
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    if (!libraryFiles.has(key))
      libraryFiles.set(key, getSourceFile(fileName, languageVersion, ...rest));
    return libraryFiles.get(key);
  };
  const program = typescript.createProgram({ rootNames: roots, options, host });
  const diagnostics = typescript.getPreEmitDiagnostics(program);
  if (diagnostics.length === 0) return;
  const lines = diagnostics
    .slice(0, MAX_DIAGNOSTICS)
    .map((diagnostic) => formatDiagnostic(typescript, diagnostic, cwd));
  if (diagnostics.length > MAX_DIAGNOSTICS)
    lines.push(`... and ${diagnostics.length - MAX_DIAGNOSTICS} more`);
  throw new FjordError(
    'BUNDLE_REJECTED',
    `type check failed (fix these, or deploy with --no-typecheck)\n${lines.join('\n')}`,
  );
}

function formatDiagnostic(typescript: typeof ts, diagnostic: ts.Diagnostic, cwd: string): string {
  const message = typescript.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
  const { file, start } = diagnostic;
  if (file === undefined || start === undefined) return message;
  const { line, character } = file.getLineAndCharacterOfPosition(start);
  return `${displayPath(file.fileName, cwd)}:${line + 1}:${character + 1}: ${message}`;
}
