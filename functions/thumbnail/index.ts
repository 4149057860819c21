// thumbnail: resizes an uploaded PNG or JPEG with sharp, a native image library that cannot be
// bundled: `fn deploy functions/thumbnail` installs it here, builds the function's own image
// with it and uploads that image to the gateway. Then
//   curl --data-binary @photo.jpg 'http://127.0.0.1:8080/fn/thumbnail?width=128&format=jpeg' -o thumb.jpg
// width and height are pixels (either one keeps the aspect ratio); format is png (default) or jpeg.
import sharp from 'sharp';

const FORMATS = { png: 'image/png', jpeg: 'image/jpeg' } as const;
type Format = keyof typeof FORMATS;
const MAX_SIDE = 4096;

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== 'POST') {
      return problem(405, 'POST a PNG or JPEG image as the request body');
    }
    const url = new URL(request.url);
    const width = side(url.searchParams.get('width'));
    const height = side(url.searchParams.get('height'));
    if (width === null || height === null) {
      return problem(400, `width and height must be whole numbers from 1 to ${MAX_SIDE}`);
    }
    const format = url.searchParams.get('format') ?? 'png';
    if (!(format in FORMATS)) return problem(400, 'format must be png or jpeg');
    const input = Buffer.from(await request.arrayBuffer());
    let metadata;
    try {
      metadata = await sharp(input).metadata();
    } catch {
      return problem(415, 'the body is not an image sharp can read');
    }
    if (metadata.format !== 'png' && metadata.format !== 'jpeg') {
      return problem(415, `expected a PNG or JPEG upload, got ${metadata.format}`);
    }
    const resized = sharp(input).resize({
      width: width ?? (height === undefined ? 128 : undefined),
      height,
      fit: width !== undefined && height !== undefined ? 'fill' : 'inside',
    });
    const output =
      format === 'jpeg' ? await resized.jpeg().toBuffer() : await resized.png().toBuffer();
    return new Response(new Uint8Array(output), {
      headers: { 'content-type': FORMATS[format as Format] },
    });
  },
} satisfies FjordHandler;

/** A side from the query: undefined when absent, null when not a whole number in range. */
function side(value: string | null): number | undefined | null {
  if (value === null) return undefined;
  const number = Number(value);
  return Number.isInteger(number) && number >= 1 && number <= MAX_SIDE ? number : null;
}

function problem(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
}
