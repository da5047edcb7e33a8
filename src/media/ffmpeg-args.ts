/**
 * The ffmpeg argument list for "decode this input to small grayscale frames
 * on stdout". Pure, so every flag choice is unit-tested without ffmpeg.
 *
 * Input forms (`GrayFrameSpec.input`):
 * - `lavfi:<filtergraph>` — an ffmpeg lavfi source, e.g. `lavfi:testsrc2=size=640x360:rate=10`.
 *   The prefix is ours (ffmpeg has no URL scheme for lavfi); it selects `-f lavfi`.
 * - `rtsp://…` / `rtsps://…` — a camera stream, read over TCP with low-latency flags.
 * - any other `scheme://…` (http, udp, srt, rtmp…) — a network stream, low-latency flags.
 * - anything else (a path, or `file:…`) — a file, read in real time and looped.
 */

export const LAVFI_PREFIX = 'lavfi:';

export type InputKind = 'lavfi' | 'rtsp' | 'network' | 'file';

export interface GrayFrameSpec {
  input: string;
  /** Loop a file input forever (`-stream_loop -1`); ignored for other kinds. */
  loop: boolean;
  width: number;
  height: number;
  fps: number;
  /**
   * Socket I/O timeout for network inputs. Makes ffmpeg itself exit when a
   * camera vanishes mid-stream instead of blocking forever in read().
   */
  socketTimeoutMs: number;
  /**
   * Read file and lavfi inputs at their own frame rate (`-re`, the default),
   * like a camera delivers them. `false` decodes as fast as the CPU allows:
   * offline analysis (`motion analyze`), where frame times come from the
   * frame index, not from the wall clock.
   */
  realtime?: boolean;
}

/**
 * Timestamps of live inputs can jump: HTTP MJPEG is stamped with the wall
 * clock (`-use_wallclock_as_timestamps`), and an RTSP streamer on the same
 * SoC derives its RTCP times from it; NTP steps that clock. The fps filter
 * turns a jump into stale video: +25 h made it emit the 900,000 missing
 * frames as duplicates of the last one (~2,700/s measured, ffmpeg 5.1, so
 * no fresh frame for minutes), and −1 h made it drop every frame until the
 * clock caught up (blind for an hour, until the stall watchdog restarted
 * ffmpeg). So each frame's pts becomes the previous output pts plus the
 * input's step clamped to 0…1 s: a normal stream passes unchanged (gaps
 * under 1 s), a step costs at most one second of duplicates or one dropped
 * frame, and output timestamps never go back (no muxer "non monotonically
 * increasing dts" line per frame).
 */
export const TIMESTAMP_GUARD = "setpts='if(isnan(PREV_OUTPTS),PTS,PREV_OUTPTS+clip(PTS-PREV_INPTS,0,1/TB))'";

/** What fluent-ffmpeg needs: options before `-i`, the `-i` value, options before the output. */
export interface FfmpegArgs {
  inputOptions: string[];
  input: string;
  outputOptions: string[];
}

export function classifyInput(input: string): InputKind {
  if (input.startsWith(LAVFI_PREFIX)) return 'lavfi';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') return 'file';
  if (scheme === 'rtsp' || scheme === 'rtsps') return 'rtsp';
  return 'network';
}

export function buildGrayFrameArgs(spec: GrayFrameSpec): FfmpegArgs {
  const kind = classifyInput(spec.input);
  const timeoutUs = String(Math.round(spec.socketTimeoutMs * 1000));

  // -nostdin: ffmpeg otherwise reads stdin for interactive keys ('q', '?').
  // -nostats / -loglevel warning: keep stderr to diagnostics, so the
  // stderr tail we report holds the reason for an exit, not progress lines.
  const global = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning'];
  // Low latency for live sources: no input buffering, no frame reordering
  // delay. analyzeduration/probesize cut the first frame from ~4.0 s to
  // ~2.3 s on RTSP (measured, test-rigs.md §2).
  const live = [
    '-fflags', 'nobuffer',
    '-flags', 'low_delay',
    '-analyzeduration', '500000',
    '-probesize', '100000',
  ];

  const re = spec.realtime === false ? [] : ['-re'];
  let inputOptions: string[];
  let input = spec.input;
  switch (kind) {
    case 'lavfi':
      // -re: lavfi sources otherwise generate as fast as the CPU allows.
      inputOptions = [...re, '-f', 'lavfi'];
      input = spec.input.slice(LAVFI_PREFIX.length);
      break;
    case 'file':
      // -re: play at the file's own rate, like a camera would.
      inputOptions = spec.loop ? [...re, '-stream_loop', '-1'] : re;
      break;
    case 'rtsp':
      // TCP: UDP RTP loses packets (grey smears) on busy Wi-Fi and needs
      // extra ports through NAT. In ffmpeg 5.x `-timeout` is the RTSP socket
      // I/O timeout in µs (it replaced `-stimeout`).
      inputOptions = ['-rtsp_transport', 'tcp', '-timeout', timeoutUs, ...live];
      break;
    case 'network':
      // HTTP MJPEG (multipart) carries no timestamps: ffmpeg would assume
      // 25 fps, and the fps filter would then pick frames by a clock that
      // runs 2.5× too fast for a 10 fps camera. Wall-clock stamps keep the
      // analysed frames current.
      inputOptions = ['-rw_timeout', timeoutUs, '-use_wallclock_as_timestamps', '1', ...live];
      break;
  }

  // fps before scale: dropped frames are never scaled. Exact size, aspect not
  // kept: the motion detector wants a fixed grid, not a faithful picture.
  // Live inputs first pass TIMESTAMP_GUARD (why: see there).
  const guard = kind === 'rtsp' || kind === 'network' ? `${TIMESTAMP_GUARD},` : '';
  const filters = `${guard}fps=${spec.fps},scale=${spec.width}:${spec.height},format=gray`;
  const outputOptions = ['-an', '-sn', '-dn', '-vf', filters, '-pix_fmt', 'gray', '-f', 'rawvideo'];

  return { inputOptions: [...global, ...inputOptions], input, outputOptions };
}

/** The full argv (without the program name) as ffmpeg will see it, output to stdout. */
export function toArgv(args: FfmpegArgs): string[] {
  return [...args.inputOptions, '-i', args.input, ...args.outputOptions, 'pipe:1'];
}

/**
 * One full-resolution JPEG frame of `url` on stdout (alarm snapshots):
 * - RTSP over TCP with a socket timeout, so a vanished camera ends ffmpeg
 *   by itself (the caller also kills it at its deadline);
 * - `-q:v 2` MJPEG: near-lossless, sharp re-encodes at the configured quality;
 * - no `-ss`: the first decodable frame after the next keyframe is wanted;
 *   its latency is the stream's GOP (1–2 s on most streamers), which is why
 *   the ONVIF snapshot URI is tried first.
 */
export function buildJpegGrabArgs(url: string, timeoutMs: number): FfmpegArgs {
  const timeoutUs = String(Math.max(1, Math.round(timeoutMs * 1000)));
  const global = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
  let inputOptions: string[];
  let input = url;
  switch (classifyInput(url)) {
    case 'lavfi':
      inputOptions = ['-f', 'lavfi'];
      input = url.slice(LAVFI_PREFIX.length);
      break;
    case 'rtsp':
      inputOptions = ['-rtsp_transport', 'tcp', '-timeout', timeoutUs];
      break;
    case 'network':
      inputOptions = ['-rw_timeout', timeoutUs];
      break;
    case 'file':
      inputOptions = [];
      break;
  }
  const outputOptions = ['-an', '-sn', '-dn', '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p', '-f', 'image2pipe'];
  return { inputOptions: [...global, ...inputOptions], input, outputOptions };
}
