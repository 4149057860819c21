import { builtinModules, isBuiltin } from 'node:module';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { MODULE_GLOBAL } from '../../core/api.ts';
import { FjordError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest.ts';
import { formatMessage, messagesOf } from './esbuild-messages.ts';
import { displayPath } from './paths.ts';

export interface BundleOutput {
  code: string;
  /** esbuild warnings as `file:line:col: text`. */
  warnings: string[];
}

/** At most this many errors are listed; the rest are counted. */
const MAX_ERRORS = 10;

/**
 * Bundles a function the way the runtime loads it: one IIFE assigning the module to
 * `globalThis.__fjord_module`, dependencies from node_modules included except the `external`
 * packages (and their subpaths), which stay `require()` calls: a container function's own image
 * has them under /app/node_modules. Rejects syntax errors, unresolved imports, Node built-ins in
 * isolate functions and a missing default export.
 */
export async function bundleEntry(
  entryPath: string,
  runtime: Manifest['runtime'],
  options: { cwd: string; sourcemap?: boolean; root?: string; external?: string[] },
): Promise<BundleOutput> {
  const shared: BuildOptions = {
    entryPoints: [entryPath],
    absWorkingDir: options.cwd,
    write: false,
    logLevel: 'silent',
    target: 'es2023',
  };
  let result;
  try {
    result = await build({
      ...shared,
      bundle: true,
      platform: 'neutral',
      format: 'iife',
      globalName: MODULE_GLOBAL,
      // Only the positions: the runtime maps stack frames (file:line:col), and sources would
      // double the bundle. Their paths start from `root`, the function's folder.
      sourcemap: options.sourcemap ? 'inline' : false,
      sourcesContent: false,
      ...(options.sourcemap && options.root !== undefined ? { outdir: options.root } : {}),
      external: (options.external ?? []).flatMap((name) => [name, `${name}/*`]),
      ...resolution(runtime),
      plugins: [nodeBuiltins(runtime)],
    });
  } catch (error) {
    throw rejected(error, `cannot bundle ${displayPath(entryPath, options.cwd)}`);
  }
  const code = result.outputFiles?.[0]?.text;
  if (code === undefined) throw new FjordError('BUNDLE_REJECTED', 'esbuild produced no output');
  await requireDefaultExport(entryPath, shared, options.cwd);
  return { code, warnings: result.warnings.map(formatMessage) };
}

/**
 * Package entry points for each runtime. The neutral platform reads no package.json field by
 * default, which would leave most npm packages unresolvable; isolates prefer the builds meant
 * for Workers and browsers, as wrangler does.
 */
function resolution(runtime: Manifest['runtime']): BuildOptions {
  return runtime === 'isolate'
    ? { conditions: ['workerd', 'worker', 'browser'], mainFields: ['browser', 'module', 'main'] }
    : { conditions: ['node'], mainFields: ['module', 'main'] };
}

const BUILTIN_FILTER = new RegExp(
  `^(node:.*|${builtinModules.map((name) => name.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&')).join('|')})(/.*)?$`,
);

/**
 * Isolates have no Node APIs, so importing one fails here, at the import, rather than at run
 * time. Container functions run on Node: their built-ins stay `require()` calls.
 */
function nodeBuiltins(runtime: Manifest['runtime']): Plugin {
  return {
    name: 'fjord-node-builtins',
    setup(build) {
      build.onResolve({ filter: BUILTIN_FILTER }, ({ path }) => {
        if (!isBuiltin(path)) return undefined;
        if (runtime === 'container') return { path, external: true };
        return {
          errors: [
            {
              text: `"${path}" is a Node.js built-in module, which isolate functions cannot import: set "runtime": "container" in fn.json to use Node APIs`,
            },
          ],
        };
      });
    },
  };
}

/**
 * The runtime calls the default export, so a module without one can never run. An unbundled
 * ESM build of the entry alone lists its exports (re-exports included) in esbuild's metafile.
 */
async function requireDefaultExport(
  entryPath: string,
  shared: BuildOptions,
  cwd: string,
): Promise<void> {
  const { metafile } = await build({
    ...shared,
    bundle: false,
    format: 'esm',
    metafile: true,
    outdir: 'out',
  });
  const exports = Object.values(metafile.outputs).flatMap((output) => output.exports);
  if (!exports.includes('default')) {
    throw new FjordError(
      'BUNDLE_REJECTED',
      `${displayPath(entryPath, cwd)} has no default export: export default { fetch } or a function (event, ctx)`,
    );
  }
}

function rejected(error: unknown, summary: string): FjordError {
  const messages = messagesOf(error);
  if (messages.length === 0)
    return new FjordError('BUNDLE_REJECTED', `${summary}: ${String(error)}`);
  const lines = messages.slice(0, MAX_ERRORS).map((message) => {
    const line = formatMessage(message);
    // A bare specifier that does not resolve is almost always a package not installed yet.
    return /^Could not resolve "[^./]/.test(message.text)
      ? `${line} (run npm install in the function folder)`
      : line;
  });
  if (messages.length > MAX_ERRORS) lines.push(`... and ${messages.length - MAX_ERRORS} more`);
  return new FjordError('BUNDLE_REJECTED', `${summary}\n${lines.join('\n')}`);
}
