import { formatBytes } from '../output.ts';
import { buildImage } from './build-image.ts';
import type { ImagePlan } from './image-plan.ts';
import { saveImage } from './save-image.ts';
import { uploadImage, type UploadTarget } from './upload-image.ts';

/** What the manifest of the deployed version names: the tag and the saved image's sha256. */
export interface ShippedImage {
  image: string;
  imageSha: string;
  size: number;
  /** False when the gateway had this image already. */
  uploaded: boolean;
}

/**
 * Builds a container function's own image, saves it and puts it on the gateway, where runtime
 * nodes load it on first use: no registry anywhere.
 */
export async function shipImage(
  plan: ImagePlan,
  name: string,
  target: UploadTarget,
  options: { echo?: NodeJS.WritableStream; onStep: (step: string) => void },
): Promise<ShippedImage> {
  const { signal } = target;
  const common = signal === undefined ? {} : { signal };
  options.onStep(`preparing the image of ${name}`);
  const tag = await buildImage(plan, name, { ...common, ...options });
  options.onStep(`saving image ${tag}`);
  const saved = await saveImage(tag, signal);
  try {
    options.onStep(`uploading image ${tag} (${formatBytes(saved.size)}) to ${target.gateway}`);
    const uploaded = await uploadImage(saved, target);
    return { image: tag, imageSha: saved.sha, size: saved.size, uploaded };
  } finally {
    await saved.remove();
  }
}
