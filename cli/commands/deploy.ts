import { bundleFunction } from '../bundle/bundle-function.ts';
import { defineCommand } from '../command.ts';
import { connect } from '../connect.ts';
import { resolveConnection } from '../credentials.ts';
import { CliError } from '../errors.ts';
import { ApiError } from '../gateway-transport.ts';
import { requireDocker } from '../image/docker-tool.ts';
import { shipImage, type ShippedImage } from '../image/function-image.ts';
import { planImage, type ImagePlan } from '../image/image-plan.ts';
import { installDependencies } from '../image/install-dependencies.ts';
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

A "runtime": "container" function whose folder has a Dockerfile (FROM \${BASE_IMAGE}) or a
package.json with dependencies gets its own image: the dependencies are installed here (npm ci
--omit=dev with a lock file, else npm install --omit=dev) and left out of the bundle, the image
is built with the local Docker engine (a Dockerfile copying node_modules when the folder has
none), saved and uploaded to the gateway unless it has it already. Nodes load it from there.

--json prints {"function": FunctionView, "created": bool, "url": "...", "bundleSize": N}, plus
"image": {"image", "imageSha", "size", "uploaded"} when an image was built.`,
  options: {
    typecheck: {
      type: 'boolean',
      negatable: true,
      description: 'skip the TypeScript check (esbuild still rejects syntax errors)',
    },
    sourcemap: {
      type: 'boolean',
      negatable: true,
      description: 'leave out the source map that maps error stacks to your source files',
    },
  },
  connects: true,
  async run({ values, positionals }, io) {
    // Resolve the gateway first: a configuration mistake should not wait for a bundle.
    const client = connect(values, io);
    const progress = await createProgress(io.stderr);
    const onStep = (step: string): void => progress.step(step);
    let bundle, response, plan: ImagePlan | undefined, image: ShippedImage | undefined;
    try {
      bundle = await bundleFunction(positionals[0] ?? '.', {
        typecheck: values.typecheck !== false,
        sourcemap: values.sourcemap !== false,
        cwd: io.cwd,
        onStep,
        prepare: async (manifest, folder) => {
          plan = await planImage(folder, manifest);
          if (plan === undefined) return undefined;
          // Before the slow install: a host without Docker cannot finish this deploy.
          if (plan.build) await requireDocker(io.signal);
          if (plan.dependencies.length > 0) {
            onStep(`installing the dependencies of ${manifest.name}`);
            await installDependencies(plan, { echo: io.stderr, signal: io.signal });
          }
          return { external: plan.dependencies };
        },
      });
      let { manifest } = bundle;
      const { code, size } = bundle;
      if (plan?.build) {
        const target = { ...connection(values, io), signal: io.signal };
        image = await shipImage(plan, manifest.name, target, { onStep });
        manifest = { ...manifest, image: image.image, imageSha: image.imageSha };
      }
      progress.step(`uploading ${manifest.name} (${formatBytes(size)}) to ${client.gateway}`);
      response = await client.deploy(manifest.name, { manifest, bundle: code }).catch((error) => {
        throw tooLarge(error, formatBytes(size), values.sourcemap !== false);
      });
    } finally {
      progress.stop();
    }
    for (const warning of bundle.warnings) writeLine(io.stderr, `warning: ${warning}`);
    const fn = response.function;
    const url = `${client.gateway}${fn.url}`;
    if (values.json) {
      writeJson(io, { ...response, url, bundleSize: bundle.size, ...(image ? { image } : {}) });
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
    if (image !== undefined) {
      const sent = image.uploaded ? 'uploaded' : 'already on the gateway';
      writeLine(io.stdout, `  image ${image.image} (${formatBytes(image.size)}, ${sent})`);
    }
  },
});

/** The gateway and token the deploy talks to, for the image upload beside the client. */
function connection(
  values: { gateway?: string; token?: string; 'data-dir'?: string },
  io: { env: Readonly<Record<string, string | undefined>>; cwd: string },
): { gateway: string; token?: string } {
  const { gateway, token } = resolveConnection(
    { gateway: values.gateway, token: values.token, dataDir: values['data-dir'] },
    io.env,
    io.cwd,
  );
  return { gateway, ...(token === undefined ? {} : { token }) };
}

/**
 * A bundle over the gateway's deploy limit: the generic 413 hint says nothing of what to do, and
 * the source map fn deploy adds by default is the first thing to leave out.
 */
function tooLarge(error: unknown, size: string, sourcemap: boolean): unknown {
  if (!(error instanceof ApiError) || error.code !== 'PAYLOAD_TOO_LARGE') return error;
  const hint = sourcemap
    ? `the bundle (${size}) includes its source map: \`fn deploy --no-sourcemap\` leaves it out; else make the bundle smaller`
    : `the bundle (${size}) is over the gateway's limit: make it smaller`;
  return new CliError(error.message, { code: error.code, hint });
}
