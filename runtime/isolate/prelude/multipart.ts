/**
 * multipart/form-data (RFC 7578) both ways: FormData bodies are serialized with a random
 * boundary, and request.formData() parses multipart and urlencoded bodies.
 */
import { blobBytes, concatBytes, File } from './blob.ts';
import { FormData } from './form-data.ts';
import { TextDecoder, TextEncoder } from './text-encoding.ts';

const CRLF = '\r\n';

function escapeName(name: string): string {
  // The HTML standard's encoding of names in Content-Disposition.
  return name.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
}

/** Serializes `form`; `boundary` is random (the caller gets 16+ random bytes from the host). */
export function encodeMultipart(form: FormData, boundary: string): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const [name, value] of form) {
    let head = `--${boundary}${CRLF}Content-Disposition: form-data; name="${escapeName(name)}"`;
    if (typeof value === 'string') {
      chunks.push(
        encoder.encode(`${head}${CRLF}${CRLF}${value.replace(/\r(?!\n)|(?<!\r)\n/g, CRLF)}${CRLF}`),
      );
      continue;
    }
    head += `; filename="${escapeName(value.name)}"${CRLF}`;
    head += `Content-Type: ${value.type || 'application/octet-stream'}${CRLF}${CRLF}`;
    chunks.push(encoder.encode(head), blobBytes(value), encoder.encode(CRLF));
  }
  chunks.push(encoder.encode(`--${boundary}--${CRLF}`));
  return concatBytes(chunks);
}

/** A parameter of a header value such as `multipart/form-data; boundary="x"`. */
export function headerParameter(value: string, name: string): string | null {
  const pattern = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i');
  const match = pattern.exec(value);
  if (match === null) return null;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? null);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  outer: for (
    let i = haystack.indexOf(first!, from);
    i >= 0 && i <= haystack.length - needle.length;
    i = haystack.indexOf(first!, i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split(CRLF)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function invalid(why: string): TypeError {
  return new TypeError(`could not parse the body as multipart/form-data: ${why}`);
}

export function decodeMultipart(bytes: Uint8Array, boundary: string): FormData {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const form = new FormData();
  const delimiter = encoder.encode(`--${boundary}`);
  let at = indexOf(bytes, delimiter, 0);
  if (at < 0) throw invalid('the boundary does not occur');
  for (;;) {
    at += delimiter.length;
    if (bytes[at] === 0x2d && bytes[at + 1] === 0x2d) return form; // "--": the closing delimiter
    if (bytes[at] !== 0x0d || bytes[at + 1] !== 0x0a) throw invalid('no CRLF after a boundary');
    at += 2;
    const headEnd = indexOf(bytes, encoder.encode(CRLF + CRLF), at);
    if (headEnd < 0) throw invalid('a part has no header end');
    const headers = parseHeaders(decoder.decode(bytes.subarray(at, headEnd)));
    const bodyStart = headEnd + 4;
    const next = indexOf(bytes, encoder.encode(CRLF + `--${boundary}`), bodyStart);
    if (next < 0) throw invalid('a part is not terminated by the boundary');
    const body = bytes.subarray(bodyStart, next);
    const disposition = headers.get('content-disposition') ?? '';
    const name = headerParameter(disposition, 'name');
    if (name === null) throw invalid('a part has no name');
    const filename = headerParameter(disposition, 'filename');
    if (filename === null) form.append(name, decoder.decode(body));
    else {
      const type = headers.get('content-type') ?? 'application/octet-stream';
      form.append(name, new File([body], filename, { type }));
    }
    at = next + 2;
  }
}

export function decodeUrlEncoded(text: string): FormData {
  const form = new FormData();
  for (const [name, value] of new URLSearchParams(text)) form.append(name, value);
  return form;
}
