/**
 * `camera-agent onvif probe`: connect to a camera (or discover cameras) and
 * print what the agent would use, as JSON. A support tool: it shows
 * the stream URIs with their credentials masked, never the password.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { defaultOnvifTimeoutMs } from '../media/onvif/onvif-camera.js';
import { OnvifError } from '../media/onvif/onvif-error.js';
import { discoveryLimits } from '../media/onvif/onvif-discovery.js';
import { credentialStrings } from '../media/onvif/stream-uri.js';
import { maskUrlCredentials } from '../log/url-mask.js';

export interface OnvifIo {
  out(line: string): void;
  err(line: string): void;
}

export const PASSWORD_ENV = 'CAMERA_AGENT_ONVIF_PASSWORD';

export const ONVIF_USAGE = `Usage: camera-agent onvif probe --xaddr URL --user USER [--pass-file FILE | --pass PASSWORD] [--timeout S] [--json]
       camera-agent onvif probe --discover [--timeout S] [--json]

Connects to an ONVIF camera and prints, as JSON: device information, media
profiles (resolution, encoding), the sub-stream (lowest resolution) and main
stream RTSP URIs as the agent would use them (credentials masked as ***),
the snapshot URI and PTZ support with presets. With --discover, sends a
WS-Discovery probe on the local network and lists the cameras that answer.

Options:
  --xaddr URL       device service URL, e.g. http://192.0.2.10/onvif/device_service (http only)
  --user USER       ONVIF user name
  --pass-file FILE  read the password from FILE (first line)
  --pass PASSWORD   the password; visible to every user in 'ps' and shell history,
                    prefer --pass-file or the ${PASSWORD_ENV} environment variable
  --discover        WS-Discovery instead of connecting to one camera
  --timeout S       seconds to wait (default ${defaultOnvifTimeoutMs / 1000} for probe, ${discoveryLimits.defaultMs / 1000} for --discover)
  --json            one line of JSON instead of indented JSON

Password precedence: --pass, then --pass-file, then ${PASSWORD_ENV}.
Exit status: 0 success, 1 camera error (JSON {"error":{"code","message"}} on stdout), 2 usage error.`;

class UsageError extends Error {}

/** `argv` is what follows `onvif` (e.g. ['probe', '--discover']); resolves with the exit code. */
export async function onvifCommand(argv: string[], io: OnvifIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: Awaited<ReturnType<typeof parse>>;
  try {
    parsed = await parse(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`camera-agent onvif: ${err.message}\n${ONVIF_USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    io.out(ONVIF_USAGE);
    return 0;
  }
  const print = (value: unknown) => io.out(parsed.compact ? JSON.stringify(value) : JSON.stringify(value, null, 2));
  try {
    if (parsed.mode === 'discover') {
      const { discoverOnvif } = await import('../media/onvif/onvif-discovery.js');
      const devices = await discoverOnvif({ timeoutMs: parsed.timeoutMs ?? discoveryLimits.defaultMs });
      print({ devices });
      return 0;
    }
    const { connectOnvif } = await import('../media/onvif/onvif-camera.js');
    const { probeReport } = await import('../media/onvif/probe-report.js');
    const camera = await connectOnvif({ xaddr: parsed.xaddr, user: parsed.user, password: parsed.password, timeoutMs: parsed.timeoutMs });
    let presets = null;
    if (camera.hasPtz()) presets = await camera.ptzPresets().catch(() => null);
    print(probeReport(parsed.xaddr, camera, presets));
    return 0;
  } catch (err) {
    if (!(err instanceof OnvifError)) throw err;
    const secrets = parsed.mode === 'probe' ? credentialStrings({ user: parsed.user, password: parsed.password }) : [];
    const message = maskUrlCredentials(err.message, secrets);
    print({ error: { code: err.code, message } });
    io.err(`camera-agent onvif probe: ${err.code}: ${message}`);
    return 1;
  }
}

type Parsed =
  | { mode: 'probe'; xaddr: string; user: string; password: string; timeoutMs: number | undefined; compact: boolean }
  | { mode: 'discover'; timeoutMs: number | undefined; compact: boolean };

async function parse(argv: string[], env: NodeJS.ProcessEnv): Promise<Parsed | 'help'> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') return 'help';
  if (sub !== 'probe') throw new UsageError(`unknown onvif command: ${sub}`);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        xaddr: { type: 'string' },
        user: { type: 'string' },
        pass: { type: 'string' },
        'pass-file': { type: 'string' },
        discover: { type: 'boolean' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const s = Number(values.timeout);
    if (!(Number.isFinite(s) && s > 0 && s <= 120)) throw new UsageError('--timeout must be a number of seconds in (0, 120]');
    timeoutMs = Math.round(s * 1000);
  }
  const compact = values.json === true;
  if (values.discover) {
    if (values.xaddr !== undefined) throw new UsageError('--discover and --xaddr are exclusive');
    return { mode: 'discover', timeoutMs, compact };
  }
  if (typeof values.xaddr !== 'string') throw new UsageError('--xaddr URL (or --discover) is required');
  const user = typeof values.user === 'string' ? values.user : '';
  let password: string;
  if (typeof values.pass === 'string') password = values.pass;
  else if (typeof values['pass-file'] === 'string') password = await readPasswordFile(values['pass-file']);
  else password = env[PASSWORD_ENV] ?? '';
  return { mode: 'probe', xaddr: values.xaddr, user, password, timeoutMs, compact };
}

async function readPasswordFile(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    // First line only: editors add a final newline the camera knows nothing about.
    return text.split(/\r?\n/)[0] ?? '';
  } catch (err) {
    throw new UsageError(`--pass-file ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
