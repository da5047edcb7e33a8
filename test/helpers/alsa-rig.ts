/**
 * A sound card for tests on a machine without one (test-rigs.md §5, option B):
 * the REAL ALSA code path (alsa-lib, aplay, arecord) in front of a PulseAudio
 * server of our own with null sinks.
 *
 * - Playback: `rigspeaker` is an ALSA `file` PCM that tees the exact bytes
 *   the application wrote into a raw file, in front of a pulse PCM on the
 *   `speaker` null sink. The null sink consumes in real time, so aplay sees
 *   the back-pressure of a DAC; the tee is bit-exact (a parec capture of the
 *   sink monitor is not: it drops the start at random, §5).
 * - Capture: `rigmic` is a `file` PCM whose `infile` supplies the captured
 *   samples, over a pulse PCM reading the `mic` null sink's monitor. The
 *   monitor paces it in real time; the file plugin replaces each block it
 *   read with the next bytes of infile (after infile's end the monitor's
 *   silence comes through). Measured: 4.5 s captured in 4.5 s after a
 *   ~0.5 s start, byte-identical to the input. Capture at micRate, S16_LE
 *   mono: infile is raw, so another rate reads it at the wrong speed. (A
 *   `plug`/`rate` PCM in front to convert fails: arecord gets "Unable to
 *   install hw params" with the pulse slave, alsa-lib 1.2.8.)
 * - Keepers: a null sink nobody plays to renders in 2 s blocks and only
 *   notices a new stream at its next wake-up, so the first sample of a
 *   playback (or capture) waited a random 0–2 s, measured. That is not how a
 *   DAC behaves, and it would add up to 2 s of latency in front of talkback.
 *   One `pacat --latency-msec=20` per sink, playing zeros (mixed in, they
 *   change nothing; the tee is upstream anyway), keeps both sinks rendering
 *   in 20 ms blocks: playback then flows within ~0.1 s and arecord delivers
 *   0.1 s of audio in 0.13 s. The sinks take the low latency only at the end
 *   of the 2 s block they are in, so startAlsaRig() waits for that (≤ 2 s).
 * - 'default' is an asym of the two, but only while no other PulseAudio is
 *   reachable: alsa.conf.d/99-pulse.conf's hook re-points 'default' to pulse
 *   when one is (PULSE_SERVER or a session socket). Use the named devices.
 *
 * Every playback (every open of rigspeaker) truncates the tee, so it holds
 * the latest playback only. (`truncate false` gives each playback its own
 * numbered file, speaker.raw.0001, …; not used, because it was only tried
 * before the keepers below existed, when every playback stalled at random.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';

export interface AlsaRigOptions {
  /** Sample rate of the PulseAudio null sinks (the "hardware" rate). Default 16000. */
  sinkRate?: number;
  /** Raw S16LE mono that `micDevice` captures, repeated for micLoopSeconds, then silence. Default: silence. */
  micInput?: Buffer;
  /** Rate of micInput, and the rate to capture micDevice at. Default 16000. */
  micRate?: number;
  /** How much looped micInput every capture starts with (each open re-reads from the start). Default 120 s. */
  micLoopSeconds?: number;
}

export interface AlsaRig {
  /** Give to a spawned process (or assign to process.env): selects the rig's ALSA configuration. */
  env: Record<string, string>;
  /** The tee: raw bytes of the latest playback through speakerDevice, exactly as the application wrote them. */
  speakerFile: string;
  /** ALSA PCM name for playback: 'rigspeaker' (also the playback side of 'default'). */
  speakerDevice: string;
  /** ALSA PCM name for capture: 'rigmic' (also the capture side of 'default'). */
  micDevice: string;
  /** The tee's content: the latest playback (empty before the first). */
  readSpeaker(): Promise<Buffer>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

export async function startAlsaRig(dir: string, opts: AlsaRigOptions = {}): Promise<AlsaRig> {
  dir = resolve(dir);
  const sinkRate = opts.sinkRate ?? 16_000;
  const micRate = opts.micRate ?? 16_000;
  const paths = {
    home: join(dir, 'home'),
    xdg: join(dir, 'xdg'),
    pa: join(dir, 'pa'),
    socket: join(dir, 'pa', 'native'),
    conf: join(dir, 'asound.conf'),
    speaker: join(dir, 'speaker.raw'),
    micInput: join(dir, 'mic-input.raw'),
    micCaptured: join(dir, 'mic-captured.raw'),
  };
  for (const d of [paths.home, join(paths.xdg, 'runtime'), join(paths.xdg, 'config'), join(paths.xdg, 'state'), join(paths.xdg, 'cache'), paths.pa]) {
    await mkdir(d, { recursive: true, mode: 0o700 });
  }
  await writeFile(paths.micInput, loop(opts.micInput ?? Buffer.alloc(0), micRate * 2 * (opts.micLoopSeconds ?? 120)));

  const server = `unix:${paths.socket}`;
  await writeFile(
    paths.conf,
    [
      `pcm.rig_pulse_speaker { type pulse server "${server}" device "speaker" }`,
      `pcm.rig_pulse_mic { type pulse server "${server}" device "mic.monitor" }`,
      `pcm.rigspeaker { type file slave.pcm "rig_pulse_speaker" file "${paths.speaker}" format "raw" }`,
      // `file` also writes what was captured (the infile bytes), for debugging a failing test.
      `pcm.rigmic { type file slave.pcm "rig_pulse_mic" file "${paths.micCaptured}" infile "${paths.micInput}" format "raw" }`,
      `pcm.!default { type asym playback.pcm "rigspeaker" capture.pcm "rigmic" }`,
      '',
    ].join('\n'),
  );

  const paEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: paths.home,
    XDG_RUNTIME_DIR: join(paths.xdg, 'runtime'),
    XDG_CONFIG_HOME: join(paths.xdg, 'config'),
    XDG_STATE_HOME: join(paths.xdg, 'state'),
    XDG_CACHE_HOME: join(paths.xdg, 'cache'),
    PULSE_STATE_PATH: join(paths.pa, 'state'),
    PULSE_RUNTIME_PATH: join(paths.pa, 'run'),
  };
  const sink = (name: string) => `module-null-sink sink_name=${name} rate=${sinkRate} channels=1`;
  const pulse = spawn(
    'pulseaudio',
    [
      '-n', // no default.pa: only the modules below
      '--daemonize=no',
      '--system=false',
      '--exit-idle-time=-1',
      '--use-pid-file=false',
      '--realtime=no',
      '--high-priority=no',
      '--log-target=stderr',
      '-L',
      sink('speaker'),
      '-L',
      sink('mic'),
      '-L',
      `module-native-protocol-unix socket=${paths.socket} auth-anonymous=1`,
    ],
    { env: paEnv, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  pulse.stderr!.setEncoding('utf8');
  pulse.stderr!.on('data', (s: string) => (log = (log + s).slice(-4000)));
  const exited = new Promise<void>((done) => pulse.once('close', () => done()));

  const stop = async (): Promise<void> => {
    if (pulse.exitCode !== null || pulse.signalCode !== null) return;
    pulse.kill('SIGTERM');
    const timer = setTimeout(() => pulse.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };

  const keepers: ChildProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(keepers.map((k) => stopChild(k)));
    await stop();
  };
  try {
    await waitReady(pulse, server, paEnv, () => log);
    for (const name of ['speaker', 'mic']) {
      const keeper = spawn(
        'pacat',
        ['--playback', '--server', server, '-d', name, '--raw', '--format=s16le', `--rate=${sinkRate}`, '--channels=1', '--latency-msec=20', '/dev/zero'],
        { env: paEnv, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      keeper.stderr!.setEncoding('utf8');
      keeper.stderr!.on('data', (s: string) => (log = (log + s).slice(-4000)));
      keepers.push(keeper);
    }
    // The keepers connect at once, but each sink only takes their latency at the end of the 2 s block it is in.
    const settled = async (): Promise<boolean> => {
      const latencies = [...(await pactl(server, paEnv, ['list', 'sinks'])).matchAll(/Latency: (\d+) usec/g)].map((m) => Number(m[1]));
      return latencies.length === 2 && latencies.every((us) => us < 100_000);
    };
    await waitFor(settled, 'the null sinks at low latency', () => log);
  } catch (err) {
    await stopAll();
    throw err;
  }


  return {
    // No PULSE_SERVER: it would make the pulse hook take over 'default' (see above); the PCMs name the server.
    env: { ALSA_CONFIG_PATH: `/usr/share/alsa/alsa.conf:${paths.conf}` },
    speakerFile: paths.speaker,
    speakerDevice: 'rigspeaker',
    micDevice: 'rigmic',
    readSpeaker: () => readFile(paths.speaker).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? Buffer.alloc(0) : Promise.reject(err))),
    stop: stopAll,
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((done) => child.once('close', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await closed;
  clearTimeout(timer);
}

/** `pcm` repeated to `bytes` bytes (whole samples). */
function loop(pcm: Buffer, bytes: number): Buffer {
  if (pcm.length < 2) return Buffer.alloc(0);
  const unit = pcm.subarray(0, pcm.length - (pcm.length % 2));
  const out = Buffer.alloc(bytes - (bytes % 2));
  for (let at = 0; at < out.length; at += unit.length) unit.copy(out, at, 0, Math.min(unit.length, out.length - at));
  return out;
}

function pactl(server: string, env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  return new Promise((done, fail) => execFile('pactl', ['--server', server, ...args], { env, timeout: 2000 }, (err, out) => (err ? fail(err) : done(out))));
}

/** Until `pactl info` answers on the socket: the modules are loaded by then. */
async function waitReady(pulse: ChildProcess, server: string, env: NodeJS.ProcessEnv, log: () => string): Promise<void> {
  await waitFor(
    async () => {
      if (pulse.exitCode !== null || pulse.signalCode !== null) throw new Error(`pulseaudio exited at start:\n${log()}`);
      return pactl(server, env, ['info']).then(
        () => true,
        () => false,
      );
    },
    'pulseaudio',
    log,
  );
}

/** Polls `check` every 50 ms until it holds; a daemon's readiness has no event to wait on. */
async function waitFor(check: () => Promise<boolean>, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${READY_TIMEOUT_MS} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
