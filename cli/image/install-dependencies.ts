import { FjordError } from '../../core/errors.ts';
import type { ImagePlan } from './image-plan.ts';
import { runTool } from './run-tool.ts';

/**
 * Installs a function's dependencies on this host, into its folder's node_modules, which the
 * image then copies: images build without network, and native addons come prebuilt from npm
 * (see ../shared/ENVIRONMENT.md, "Containers and the package registries"). npm's own output is
 * the progress; a failure ends with its last lines.
 */
export async function installDependencies(
  plan: ImagePlan,
  options: { echo?: NodeJS.WritableStream; signal?: AbortSignal },
): Promise<string> {
  const args = [plan.lockfile ? 'ci' : 'install', '--omit=dev', '--no-audit', '--no-fund'];
  const command = `npm ${args.join(' ')}`;
  const result = await runTool('npm', args, { cwd: plan.folder, ...options });
  if (result.error !== undefined) {
    throw new FjordError(
      'BUNDLE_REJECTED',
      `cannot run npm to install the function's dependencies: ${result.error.message}`,
    );
  }
  if (result.code !== 0) {
    throw new FjordError(
      'BUNDLE_REJECTED',
      `${command} failed in ${plan.folder} (exit code ${result.code}):\n${result.tail.join('\n')}`,
    );
  }
  return command;
}
