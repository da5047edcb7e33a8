import QRCode from 'qrcode';

/**
 * The QR symbol for a label payload. ECC M (provisioning.md §6.2: H proved
 * unreadable on some camera decoders; M survives a scuffed label). The
 * payload is alphanumeric except the "#", so three manual segments
 * (alphanumeric · byte "#" · alphanumeric) are tried against qrcode's own
 * segmentation and the smaller symbol wins.
 */
export interface LabelQr {
  version: number;
  /** Modules per side, without the quiet zone. */
  size: number;
  dark(row: number, col: number): boolean;
}

export const QR_ERROR_CORRECTION = 'M';

export function labelQr(payload: string): LabelQr {
  const hash = payload.indexOf('#');
  const candidates: QRCode.QRCode[] = [QRCode.create(payload, { errorCorrectionLevel: QR_ERROR_CORRECTION })];
  if (hash > 0) {
    const segments: QRCode.QRCodeSegment[] = [
      { data: payload.slice(0, hash), mode: 'alphanumeric' },
      { data: Buffer.from('#'), mode: 'byte' },
      { data: payload.slice(hash + 1), mode: 'alphanumeric' },
    ];
    candidates.push(QRCode.create(segments, { errorCorrectionLevel: QR_ERROR_CORRECTION }));
  }
  const best = candidates.reduce((a, b) => (b.version < a.version ? b : a));
  const { size, data } = best.modules;
  return { version: best.version, size, dark: (r, c) => data[r * size + c] === 1 };
}
