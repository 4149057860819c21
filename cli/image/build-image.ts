import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../errors.ts';
import { docker } from './docker-tool.ts';
import type { ImagePlan } from './image-plan.ts';
import { hostLibraries, librariesContext } from './native-libraries.ts';
import { runTool, type ToolResult } from './run-tool.ts';

/** The base image build that runtime nodes run too (a no-op printing the tag when present). */
const BASE_SCRIPT = fileURLToPath(new URL('../../docker/base/build-offline.sh', import.meta.url));

/** For folders with dependencies and no Dockerfile: the base image plus their node_modules. */
export const GENERATED_DOCKERFILE = `ARG BASE_IMAGE
FROM \${BASE_IMAGE}
COPY node_modules /app/node_modules
`;

/**
 * Builds a function's image with the local Docker engine, FROM the Fjord base image (built
 * offline from this host's Node when missing), with the function folder as context. The tag,
 * `fjord-fn/NAME:<hash>`, hashes the base image and every file of the folder, so an unchanged
 * folder is not built again. Host libraries its native addons link are added on top (see
 * native-libraries.ts). A failed build ends with the last lines of its output.
 */
export async function buildImage(
  plan: ImagePlan,
  name: string,
  options: { echo?: NodeJS.WritableStream; signal?: AbortSignal; onStep?: (step: string) => void },
): Promise<string> {
  const base = await baseImage(options.signal);
  const dockerfile = plan.dockerfile ? undefined : GENERATED_DOCKERFILE;
  const libraries = await hostLibraries(plan.folder);
  const hash = await contentHash(plan.folder, [base, dockerfile ?? '', ...libraries]);
  const tag = `fjord-fn/${name}:${hash}`;
  const present = await docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
  if (present.code === 0) return tag;
  options.onStep?.(`building image ${tag}`);
  const run = { ...(options.signal === undefined ? {} : { signal: options.signal }) };
  const args = [
    'build',
    '--force-rm',
    '--build-arg',
    `BASE_IMAGE=${base}`,
    '--label',
    `fjord.base=${base}`,
  ];
  args.push('-t', tag, ...(dockerfile === undefined ? [] : ['-f', '-']), plan.folder);
  failed(
    await docker(args, { ...run, ...(dockerfile === undefined ? {} : { stdin: dockerfile }) }),
    plan.folder,
  );
  if (libraries.length > 0) {
    // A second step on top, with its own small context: any Dockerfile gets them this way.
    options.onStep?.(`adding ${libraries.length} host libraries to ${tag}`);
    const context = await librariesContext(libraries);
    try {
      const layered = [
        'build',
        '--force-rm',
        '--build-arg',
        `FUNCTION_IMAGE=${tag}`,
        '-t',
        tag,
        context.dir,
      ];
      failed(await docker(layered, run), plan.folder);
    } finally {
      await context.remove();
    }
  }
  return tag;
}

function failed(result: ToolResult, folder: string): void {
  if (result.code === 0) return;
  throw new CliError(
    `docker build of ${folder} failed (exit code ${result.code}):\n${result.tail.join('\n')}`,
    {
      code: 'IMAGE_BUILD_FAILED',
      hint: 'the Dockerfile must start FROM ${BASE_IMAGE} and build without network (install dependencies on the host)',
    },
  );
}

async function baseImage(signal?: AbortSignal): Promise<string> {
  const result = await runTool('bash', [BASE_SCRIPT], signal === undefined ? {} : { signal });
  const tag = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.code !== 0 || !tag.startsWith('fjord/')) {
    throw new CliError(`the Fjord base image could not be built:\n${result.tail.join('\n')}`, {
      code: 'IMAGE_BUILD_FAILED',
    });
  }
  return tag;
}

/** 12 hex digits of sha256 over `inputs` (base tag, Dockerfile, libraries) and every file. */
async function contentHash(folder: string, inputs: string[]): Promise<string> {
  const hash = createHash('sha256').update(`${inputs.join('\n')}\n`);
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .filter((path) => !path.startsWith('.git/'))
    .sort();
  for (const file of files) {
    hash.update(`${file}\n`).update(await readFile(join(folder, file)));
  }
  return hash.digest('hex').slice(0, 12);
}
