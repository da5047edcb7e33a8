import type { LabelQr } from './label-qr.js';
import type { LabelLines } from './label-text.js';

/**
 * Label artwork: 2.5 × 1 in (63.5 × 25.4 mm) stock, laid out on a 300 dpi
 * grid (750 × 300 dots) so every QR module is a whole number of printer
 * dots: 6 dots = 0.51 mm for a version-5 symbol, above the ~0.4 mm a phone
 * camera needs at arm's length. QR on the left with its 4-module quiet zone,
 * the text column on the right.
 */
export const LABEL_DPI = 300;
export const LABEL_WIDTH = 750;
export const LABEL_HEIGHT = 300;
const QUIET = 4;
const FONT = "'DejaVu Sans Mono', 'Liberation Mono', monospace";
const FONT_SIZE = 22;
/** Advance width of a monospace glyph, as a fraction of the font size (DejaVu Sans Mono: 0.602). */
const ADVANCE = 0.61;

export interface LabelArtwork {
  qr: LabelQr;
  model: string;
  lines: LabelLines;
}

export function moduleDots(qr: LabelQr): number {
  return Math.floor(LABEL_HEIGHT / (qr.size + 2 * QUIET));
}

/** The text column: the Wi-Fi line breaks after " / " when it does not fit. */
export function textColumn(a: LabelArtwork): { x: number; lines: string[] } {
  const x = moduleDots(a.qr) * (a.qr.size + 2 * QUIET) + 10;
  const room = Math.floor((LABEL_WIDTH - x - 10) / (FONT_SIZE * ADVANCE));
  const wifi = a.lines.wifi.length <= room ? [a.lines.wifi] : a.lines.wifi.split(/(?<= \/) /);
  return { x, lines: [a.lines.serial, a.lines.setupCode, ...wifi] };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One path of 1-module-high runs: small, and crisp at any scale. */
function qrPath(qr: LabelQr, unit: number): string {
  let d = '';
  for (let r = 0; r < qr.size; r++) {
    for (let c = 0; c < qr.size; ) {
      if (!qr.dark(r, c)) {
        c++;
        continue;
      }
      let run = 1;
      while (c + run < qr.size && qr.dark(r, c + run)) run++;
      d += `M${(c + QUIET) * unit} ${(r + QUIET) * unit}h${run * unit}v${unit}h${-run * unit}z`;
      c += run;
    }
  }
  return d;
}

/**
 * SVG of the label. `units: 'mm'` gives the physical size that label-printer
 * software expects; `'px'` the same drawing at 750 × 300 px for rasterising.
 */
export function labelSvg(a: LabelArtwork, units: 'mm' | 'px' = 'mm'): string {
  const unit = moduleDots(a.qr);
  const size = units === 'mm' ? `width="63.5mm" height="25.4mm"` : `width="${LABEL_WIDTH}" height="${LABEL_HEIGHT}"`;
  const col = textColumn(a);
  const top = 62;
  const step = Math.min(46, Math.floor((LABEL_HEIGHT - top - 20) / col.lines.length));
  const text = col.lines
    .map((line, i) => `<text x="${col.x}" y="${top + (i + 1) * step}">${escapeXml(line)}</text>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" ${size} viewBox="0 0 ${LABEL_WIDTH} ${LABEL_HEIGHT}">` +
    `<rect width="${LABEL_WIDTH}" height="${LABEL_HEIGHT}" fill="#fff"/>` +
    `<path fill="#000" d="${qrPath(a.qr, unit)}"/>` +
    `<g font-family="${FONT}" fill="#000">` +
    `<text x="${col.x}" y="${top - 10}" font-size="30" font-weight="bold">${escapeXml(a.model)}</text>` +
    `<g font-size="${FONT_SIZE}">${text}</g></g></svg>\n`
  );
}

/**
 * ZPL II for Zebra printers at 300 dpi (12 dots/mm). The printer draws the
 * QR itself (^BQ, model 2, ECC M, automatic mode) from the same payload.
 */
export function labelZpl(a: LabelArtwork, payload: string): string {
  const mag = Math.min(10, moduleDots(a.qr));
  const col = textColumn(a);
  const lines = [`^FO${col.x},20^A0N,32,32^FD${a.model}^FS`];
  col.lines.forEach((line, i) => lines.push(`^FO${col.x},${70 + i * 44}^A0N,28,28^FD${line}^FS`));
  return ['^XA', '^CI28', `^PW${LABEL_WIDTH}`, `^LL${LABEL_HEIGHT}`, `^FO10,10^BQN,2,${mag}^FDMA,${payload}^FS`, ...lines, '^XZ', ''].join('\n');
}
