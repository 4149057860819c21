/**
 * Makes sure the image a function version runs in is on this node before a container is created
 * from it: present already; else loaded from the gateway when the version has an `imageSha`
 * (`fn deploy` built and uploaded it); else pulled when `image` names a registry. Each image is
 * fetched once per node however many cold starts wait for it.
 */
import { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { FunctionSpec } from '../../core/messages.ts';
import type { DockerEngine } from './docker-engine.ts';
import type { ImageSource } from './image-fetch.ts';

export class ImageResolver {
  readonly #engine: DockerEngine;
  readonly #source: ImageSource | undefined;
  readonly #logger: Logger | undefined;
  /** Checks and fetches in progress, by image tag: concurrent cold starts share one. */
  readonly #fetching = new Map<string, Promise<void>>();

  constructor(engine: DockerEngine, source: ImageSource | undefined, logger?: Logger) {
    this.#engine = engine;
    this.#source = source;
    this.#logger = logger;
  }

  /** Resolves with `fn.image` once it is present; CONTAINER_IMAGE_UNAVAILABLE saying why not. */
  async ensure(fn: FunctionSpec & { image: string }): Promise<string> {
    const { image } = fn;
    // Shared from the first look on: cold starts in the same moment make one check, one fetch.
    let fetching = this.#fetching.get(image);
    if (fetching === undefined) {
      fetching = (async () => {
        if (!(await this.#engine.imageExists(image))) await this.#fetch(fn);
      })().finally(() => this.#fetching.delete(image));
      this.#fetching.set(image, fetching);
    }
    await fetching;
    return image;
  }

  async #fetch(fn: FunctionSpec & { image: string }): Promise<void> {
    const { image, imageSha } = fn;
    const startedAt = performance.now();
    if (imageSha !== undefined && this.#source !== undefined) {
      await this.#load(image, imageSha, this.#source);
      const ms = Math.round(performance.now() - startedAt);
      this.#logger?.info({ image, imageSha, ms }, 'function image loaded from the gateway');
    } else if (isRegistryReference(image)) {
      await this.#engine.pullImage(image).catch((error: unknown) => {
        throw unavailable(`docker pull ${image} failed`, error);
      });
      const ms = Math.round(performance.now() - startedAt);
      this.#logger?.info({ image, ms }, 'function image pulled');
    } else {
      throw new FjordError(
        'CONTAINER_IMAGE_UNAVAILABLE',
        `image ${image} is not on this node${imageSha === undefined ? '' : ' and the node has no gateway to load it from'}: deploy the function with fn deploy (it uploads the image), or build it FROM the Fjord base image on this node`,
      );
    }
    if (!(await this.#engine.imageExists(image))) {
      throw new FjordError(
        'CONTAINER_IMAGE_UNAVAILABLE',
        `image ${image} is still missing after it was fetched: the tarball ${imageSha ?? ''} holds another image`,
      );
    }
  }

  async #load(image: string, sha: string, source: ImageSource): Promise<void> {
    let tarball;
    try {
      tarball = await source(sha);
    } catch (error) {
      throw unavailable(
        `downloading image ${image} (sha256 ${sha}) from the gateway failed`,
        error,
      );
    }
    // A download that fails midway fails the load; destroying the stream frees the connection.
    await this.#engine.loadImage(tarball).catch((error: unknown) => {
      tarball.destroy();
      throw unavailable(`docker load of image ${image} (sha256 ${sha}) failed`, error);
    });
  }
}

/**
 * `registry.example.com/team/fn:1`, `localhost:5000/fn`: the first path component names a host.
 * Plain tags such as `fjord-fn/thumbnail:abc` are local images and never pulled.
 */
export function isRegistryReference(image: string): boolean {
  const slash = image.indexOf('/');
  if (slash < 0) return false;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

function unavailable(step: string, error: unknown): FjordError {
  const reason = error instanceof Error ? error.message : String(error);
  return new FjordError('CONTAINER_IMAGE_UNAVAILABLE', `${step}: ${reason}`, { cause: error });
}
