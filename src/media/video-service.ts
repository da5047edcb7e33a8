import { EventEmitter } from 'node:events';
import type { Clock, Timer } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import type { SecretRegistry } from '../log/secret-registry.js';
import { FrameSource, type FrameSourceConfig, type FrameSourceEvents, type FrameSourceStats } from './frame-source.js';
import { RestartBackoff } from './restart-backoff.js';
import type { OnvifCamera } from './onvif/onvif-camera.js';

export interface VideoConfig extends FrameSourceConfig {
  /** Any ffmpeg input; wins over ONVIF when set (empty: ask ONVIF). */
  input: string;
  onvif: { xaddr: string; user: string; password: string; discover: boolean; timeoutMs: number; discoverTimeoutMs: number };
}

/** The ONVIF calls the service needs; injectable so tests can count them. */
export interface OnvifAccess {
  connect(opts: { xaddr: string; user: string; password: string; timeoutMs: number }): Promise<OnvifCamera>;
  discover(opts: { timeoutMs: number }): Promise<Array<{ xaddrs: string[] }>>;
}

/** off: no input configured; resolving: asking ONVIF; starting: input known, no frame yet. */
export type VideoState = 'off' | 'resolving' | 'starting' | 'streaming' | 'down';

/**
 * The analysis video: `video.input` when configured, otherwise the ONVIF
 * sub-stream (lowest resolution) of the camera's own streamer, found by its
 * xaddr or by WS-Discovery. Resolving ONVIF runs in the background with
 * backoff, so a streamer that boots slower than the agent never holds up
 * READY. Frame and health events are forwarded from the frame source.
 */
export class VideoService implements Service {
  readonly name = 'video';
  readonly #events = new EventEmitter();
  #source: FrameSource | null = null;
  #camera: OnvifCamera | null = null;
  #timer: Timer | null = null;
  #stopped = false;
  #state: VideoState = 'off';
  readonly #backoff = new RestartBackoff({ initialMs: 2_000, maxMs: 60_000, resetAfterMs: 60_000 });

  constructor(
    private readonly deps: {
      config: VideoConfig;
      clock: Clock;
      logger: Logger;
      secrets: SecretRegistry;
      onvif: () => Promise<OnvifAccess>;
    },
  ) {
    this.#events.setMaxListeners(50);
  }

  on<K extends keyof FrameSourceEvents>(name: K, listener: (payload: FrameSourceEvents[K]) => void): () => void {
    this.#events.on(name, listener);
    return () => this.#events.off(name, listener);
  }

  get state(): VideoState {
    return this.#state;
  }

  /** The streamer's ONVIF service once connected (snapshot URI, PTZ), else null. */
  get camera(): OnvifCamera | null {
    return this.#camera;
  }

  stats(): FrameSourceStats | null {
    return this.#source?.stats() ?? null;
  }

  streaming(): boolean {
    return this.#source?.streaming() ?? false;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    const { config, logger } = this.deps;
    if (config.input) {
      this.#state = 'starting';
      await this.#startSource(config.input);
      return;
    }
    if (!config.onvif.xaddr && !config.onvif.discover) {
      logger.info('no video input: set video.input or video.onvif.xaddr (or video.onvif.discover)');
      return;
    }
    this.#state = 'resolving';
    void this.#resolve();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
    await this.#source?.stop();
    this.#source = null;
    this.#state = 'off';
  }

  async #resolve(): Promise<void> {
    const { config, logger, clock } = this.deps;
    try {
      const onvif = await this.deps.onvif();
      let xaddr = config.onvif.xaddr;
      if (!xaddr) {
        const found = await onvif.discover({ timeoutMs: config.onvif.discoverTimeoutMs });
        xaddr = found[0]?.xaddrs[0] ?? '';
        if (!xaddr) throw Object.assign(new Error('no ONVIF device answered WS-Discovery'), { code: 'onvif_not_found' });
        logger.info({ xaddr, devices: found.length }, 'ONVIF device discovered');
      }
      const camera = await onvif.connect({ xaddr, user: config.onvif.user, password: config.onvif.password, timeoutMs: config.onvif.timeoutMs });
      if (this.#stopped) return;
      this.#camera = camera;
      const input = camera.streamUri('sub');
      if (!input) throw Object.assign(new Error('the streamer offers no RTSP stream'), { code: 'onvif_invalid_response' });
      logger.info({ profiles: camera.profiles.length }, 'ONVIF streamer connected; analysing its sub-stream');
      this.#state = 'starting';
      await this.#startSource(input);
    } catch (err) {
      if (this.#stopped) return;
      const delay = this.#backoff.nextDelay(clock.monotonic());
      const code = (err as { code?: string }).code ?? 'onvif_failed';
      logger.warn({ code, retryInMs: delay, err }, 'video input not resolved yet');
      if (this.#state !== 'down') this.#forwardHealth({ state: 'down', reason: (err as Error).message, code: 'input_unresolved' });
      this.#timer = clock.setTimeout(() => void this.#resolve(), delay);
    }
  }

  async #startSource(input: string): Promise<void> {
    const { onvif: _onvif, ...frames } = this.deps.config;
    const sourceConfig: FrameSourceConfig = { ...frames, input };
    const source = new FrameSource({ config: sourceConfig, clock: this.deps.clock, logger: this.deps.logger });
    source.on('frame', (f) => this.#events.emit('frame', f));
    source.on('health', (h) => this.#forwardHealth(h));
    this.#source = source;
    await source.start();
  }

  #forwardHealth(h: FrameSourceEvents['health']): void {
    this.#state = h.state === 'up' ? 'streaming' : 'down';
    this.#events.emit('health', h);
  }
}
