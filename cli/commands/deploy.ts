import { bundleFunction } from '../bundle/bundle-function.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { formatBytes, writeJson, writeLine } from '../output.ts';
import { createProgress } from '../progress.ts';

export const deploy = defineCommand({
  name: 'deploy',
  summary: 'bundle a function folder and upload it as a new version',
  params: ['DIR?'],
  description: `
Reads DIR/fn.json (DIR is the current directory by default), type-checks and bundles the
entry file with esbuild, and uploads the bundle as the function's next version, made active.
Prints the version, the function's URL and the bundle size; "unchanged" when neither the code
nor fn.json changed since the active version. Progress goes to stderr.

--json prints {"function": FunctionView, "created": bool, "url": "...", "bundleSize": N}.`,
  options: {
    typecheck: {
      type: 'boolean',
      negatable: true,
      description: 'skip the TypeScript check (esbuild still rejects syntax errors)',
    },
    sourcemap: { type: 'boolean', description: 'append an inline source map to the bundle' },
  },
  connects: true,
  async run({ values, positionals }, io) {
    // Resolve the gateway first: a configuration mistake should not wait for a bundle.
    const client = connect(values, io);
    const progress = await createProgress(io.stderr);
    let bundle, response;
    try {
      bundle = await bundleFunction(positionals[0] ?? '.', {
        typecheck: values.typecheck !== false,
        sourcemap: values.sourcemap === true,
        cwd: io.cwd,
        onStep: (step) => progress.step(step),
      });
      const { manifest, code, size } = bundle;
      progress.step(`uploading ${manifest.name} (${formatBytes(size)}) to ${client.gateway}`);
      response = await client.deploy(manifest.name, { manifest, bundle: code });
    } finally {
      progress.stop();
    }
    for (const warning of bundle.warnings) writeLine(io.stderr, `warning: ${warning}`);
    const fn = response.function;
    const url = `${client.gateway}${fn.url}`;
    if (values.json) {
      writeJson(io, { ...response, url, bundleSize: bundle.size });
      return;
    }
    const size = formatBytes(bundle.size);
    writeLine(
      io.stdout,
      response.created
        ? `deployed ${fn.name} version ${fn.version} (${size})`
        : `${fn.name} unchanged: version ${fn.version} is already this code (${size})`,
    );
    writeLine(io.stdout, `  ${url}`);
  },
});
