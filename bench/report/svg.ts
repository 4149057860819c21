/** Just enough SVG for the benchmark charts: text, lines, rectangles, scales and ticks. */

export const FONT = 'DejaVu Sans, sans-serif';
/** Colour-blind-safe (Okabe-Ito), in the order series are drawn. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00'];

function escapeXml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function text(
  x: number,
  y: number,
  content: string,
  attrs: {
    size?: number;
    anchor?: 'start' | 'middle' | 'end';
    weight?: string;
    fill?: string;
    rotate?: number;
  } = {},
): string {
  const rotate = attrs.rotate ? ` transform="rotate(${attrs.rotate} ${x} ${y})"` : '';
  return (
    `<text x="${x}" y="${y}" font-family="${FONT}" font-size="${attrs.size ?? 13}" ` +
    `text-anchor="${attrs.anchor ?? 'start'}" font-weight="${attrs.weight ?? 'normal'}" ` +
    `fill="${attrs.fill ?? '#222'}"${rotate}>${escapeXml(content)}</text>`
  );
}

export function line(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  stroke = '#ccc',
  extra = '',
): string {
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${stroke}" ${extra}/>`;
}

export function rect(x: number, y: number, w: number, h: number, fill: string): string {
  return `<rect x="${x}" y="${y}" width="${Math.max(0, w)}" height="${Math.max(0, h)}" fill="${fill}"/>`;
}

export function document(width: number, height: number, body: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">\n${rect(0, 0, width, height, '#fff')}\n` +
    `${body.join('\n')}\n</svg>\n`
  );
}

/** A linear scale from [0, max] to [from, to], with round ticks. */
export function linearScale(max: number, from: number, to: number) {
  const step = niceStep(max / 5);
  const top = Math.ceil(max / step) * step || 1;
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(t);
  return { at: (v: number) => from + (v / top) * (to - from), ticks };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

/** A log10 scale covering [min, max] with ticks at 1-2-5 steps, mapped to [from, to]. */
export function logScale(min: number, max: number, from: number, to: number) {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-3)));
  const hi = Math.ceil(Math.log10(Math.max(max, min * 10)));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  const at = (v: number): number =>
    from + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (to - from);
  return { at, ticks: ticks.filter((t) => t <= 10 ** hi) };
}

/** A tick label without float noise: 0.2, 5, 1,000. */
export function tickLabel(v: number): string {
  return v >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(3)));
}
