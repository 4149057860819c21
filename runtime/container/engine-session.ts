/**
 * What the executor needs from the Docker engine before any container: an engine that answers
 * (pinged, and strays of crashed nodes removed, once) and the base image (built on first use when
 * the option is a builder). Failures are not remembered: the next invocation asks again, so a
 * node recovers by itself when dockerd comes back or the image build succeeds.
 */
import { FjordError } from '../../core/errors.ts';
import type { FunctionSpec } from '../../core/messages.ts';
import type { DockerEngine } from './docker-engine.ts';
import type { ResolvedOptions } from './executor-options.ts';
import { ImageResolver } from './image-resolver.ts';
import { removeStrays } from './stray-containers.ts';

const PING_TIMEOUT_MS = 3000;

export class EngineSession {
  readonly engine: DockerEngine;
  readonly #options: ResolvedOptions;
  readonly #owner: string;
  readonly #images: ImageResolver;
  #ready: Promise<void> | undefined;
  #baseImage: Promise<string> | undefined;

  constructor(engine: DockerEngine, options: ResolvedOptions, owner: string) {
    this.engine = engine;
    this.#options = options;
    this.#owner = owner;
    this.#images = new ImageResolver(engine, options.fetchImage, options.logger);
  }

  /** Resolves once the engine answered and strays were removed; rejects with why not. */
  ready(): Promise<void> {
    if (this.#ready === undefined) {
      const ready = (async () => {
        await this.engine.ping(PING_TIMEOUT_MS);
        const { workDir, logger } = this.#options;
        await removeStrays(this.engine, {
          self: this.#owner,
          workDir,
          ...(logger === undefined ? {} : { logger }),
        });
      })();
      this.#ready = ready;
      ready.catch(() => {
        if (this.#ready === ready) this.#ready = undefined;
      });
    }
    return this.#ready;
  }

  /**
   * The image a function version runs in: its own (fetched when missing, see ImageResolver), or
   * the base image.
   */
  image(fn: FunctionSpec): Promise<string> {
    const { image } = fn;
    return image === undefined ? this.baseImage() : this.#images.ensure({ ...fn, image });
  }

  baseImage(): Promise<string> {
    const { image } = this.#options;
    if (typeof image === 'string') return Promise.resolve(image);
    if (this.#baseImage === undefined) {
      const building = image().catch((error: unknown) => {
        if (this.#baseImage === building) this.#baseImage = undefined;
        const reason = error instanceof Error ? error.message : String(error);
        throw new FjordError(
          'CONTAINER_IMAGE_UNAVAILABLE',
          `the container base image could not be built: ${reason}`,
          { cause: error },
        );
      });
      this.#baseImage = building;
    }
    return this.#baseImage;
  }
}
