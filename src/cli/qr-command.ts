/**
 * `camera-agent qr encode …` makes the provisioning QR codes the phone app
 * shows (PRV1: with a binding token, or a plain WIFI: code) — for the app
 * team, tests and the demo; `camera-agent qr decode IMAGE…` reads QR codes
 * from photos with the camera's own decoder and says what the agent would
 * make of each (one JSON line per image). Secrets are never echoed by decode.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { classifyQrText, encodePrv1, encodeWifiUri, type PayloadResult } from '../provisioning/payload/index.js';
import type { WifiAuth } from '../provisioning/provisioning-payload.js';

export interface QrIo {
  out(line: string): void;
  err(line: string): void;
}

export const QR_USAGE = `Usage: camera-agent qr encode --ssid SSID [--auth wpa|sae|open]
                            [--password PW | --password-file FILE] [--hidden]
                            [--token TOKEN --region CC] [--tz ZONE]
                            [--format prv1|wifi] [--png FILE] [--svg FILE]
       camera-agent qr decode IMAGE…

encode  prints the payload text (PRV1: by default; --format wifi for a
        standard WIFI: code, which carries no token) and, with --png/--svg,
        writes the QR symbol (ECC M, as the app must show it; docs/provisioning.md).
        --password-file reads the password from a file (one line; keeps it out
        of the shell history); --auth defaults to wpa with a password, else open.
decode  decodes every QR code in each image and prints one JSON line per image:
          {"image":"a.png","codes":[{"kind":"provisioning","format":"prv1",
            "ssid":"…","auth":"wpa","hidden":false,"binding":true}],"ms":4.1}
        kinds: provisioning, own-label, unrelated, rejected (with its code).
        Passwords and tokens are never printed.

Exit codes: 0 ok, 1 an image could not be read or held no QR code, 2 invalid usage
or an invalid payload (the error code is printed).`;

export async function qrCommand(argv: string[], io: QrIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(QR_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'encode') return encode(rest, io);
  if (sub === 'decode') return decode(rest, io);
  io.err(`unknown qr command: ${sub}\n\n${QR_USAGE}`);
  return 2;
}

async function encode(args: string[], io: QrIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        ssid: { type: 'string' },
        auth: { type: 'string' },
        password: { type: 'string' },
        'password-file': { type: 'string' },
        hidden: { type: 'boolean' },
        token: { type: 'string' },
        region: { type: 'string' },
        tz: { type: 'string' },
        format: { type: 'string' },
        png: { type: 'string' },
        svg: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${QR_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(QR_USAGE);
    return 0;
  }
  const ssid = values.ssid as string | undefined;
  if (ssid === undefined) {
    io.err('qr encode: --ssid is required');
    return 2;
  }
  let password = values.password as string | undefined;
  if (values['password-file'] !== undefined) {
    if (password !== undefined) {
      io.err('qr encode: give --password or --password-file, not both');
      return 2;
    }
    try {
      // One line: a trailing newline from `echo` is not part of the password, spaces are.
      password = (await readFile(values['password-file'] as string, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      io.err(`qr encode: cannot read the password file: ${(err as Error).message}`);
      return 1;
    }
  }
  const auth = (values.auth as string | undefined) ?? (password ? 'wpa' : 'open');
  if (auth !== 'wpa' && auth !== 'sae' && auth !== 'open') {
    io.err(`qr encode: --auth must be wpa, sae or open, got ${auth}`);
    return 2;
  }
  const format = (values.format as string | undefined) ?? 'prv1';
  let result: PayloadResult<string>;
  if (format === 'prv1') {
    result = encodePrv1({
      ssid,
      auth: auth as WifiAuth,
      password: password ?? null,
      hidden: values.hidden === true,
      token: (values.token as string | undefined) ?? null,
      region: (values.region as string | undefined) ?? null,
      timeZone: (values.tz as string | undefined) ?? null,
    });
  } else if (format === 'wifi') {
    if (values.token !== undefined || values.region !== undefined || values.tz !== undefined) {
      io.err('qr encode: a WIFI: code carries no --token, --region or --tz (use --format prv1)');
      return 2;
    }
    result = encodeWifiUri({ ssid, auth: auth as WifiAuth, password: password ?? null, hidden: values.hidden === true });
  } else {
    io.err(`qr encode: --format must be prv1 or wifi, got ${format}`);
    return 2;
  }
  if (!result.ok) {
    io.err(`qr encode: ${result.error.code}: ${result.error.message}`);
    return 2;
  }
  io.out(result.value);
  // qrcode is loaded only here: the agent itself never draws codes.
  const QRCode = (await import('qrcode')).default;
  // Byte mode for the whole text: PRV1 is ASCII, and a WIFI: code's UTF-8 must reach the phone unchanged.
  const segments = [{ data: Buffer.from(result.value, 'utf8'), mode: 'byte' as const }];
  if (values.png) await QRCode.toFile(values.png as string, segments, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 8 });
  if (values.svg) await writeFile(values.svg as string, await QRCode.toString(segments, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }));
  return 0;
}

async function decode(paths: string[], io: QrIo): Promise<number> {
  if (paths.length === 0 || paths.includes('--help') || paths.includes('-h')) {
    io.out(QR_USAGE);
    return paths.length === 0 ? 2 : 0;
  }
  const { decodeQrImageFiles } = await import('../provisioning/qr-image-decode.js');
  let failed = false;
  for await (const r of decodeQrImageFiles(paths)) {
    if ('error' in r) {
      failed = true;
      io.out(JSON.stringify({ image: r.path, error: r.error }));
      continue;
    }
    if (r.texts.length === 0) failed = true;
    io.out(JSON.stringify({ image: r.path, codes: r.texts.map(describe), ms: Math.round(r.ms * 10) / 10 }));
  }
  return failed ? 1 : 0;
}

/** What the agent would make of a code, without its secrets. */
function describe(text: string): Record<string, unknown> {
  const r = classifyQrText(text);
  switch (r.kind) {
    case 'provisioning': {
      const { wifi, binding, timeZone, format, warnings } = r.payload;
      return {
        kind: 'provisioning',
        format,
        ssid: wifi.ssid,
        auth: wifi.auth,
        hidden: wifi.hidden,
        binding: binding !== null,
        ...(binding ? { region: binding.region } : {}),
        ...(timeZone ? { timeZone } : {}),
        ...(warnings.length ? { warnings } : {}),
      };
    }
    case 'own-label':
      return { kind: 'own-label' };
    case 'unrelated':
      return { kind: 'unrelated', what: r.what };
    case 'rejected':
      return { kind: 'rejected', code: r.code, message: r.message };
  }
}
