import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { AgentConfig } from '../config/schema.js';
import type { AgentHal } from '../hal/index.js';
import { underRoot } from '../hal/linux/sys-path.js';
import type { Logger } from '../log/logger.js';
import { FrameSource } from '../media/frame-source.js';
import type { WifiScanner } from '../network/wifi-scan.js';
import type { SelfTestCheck } from './check.js';
import { audioLoopbackCheck } from './checks/audio-loopback.js';
import { cameraFramesCheck, type FrameFeed } from './checks/camera-frames.js';
import { clockSanityCheck } from './checks/clock-sanity.js';
import { identityFileCheck } from './checks/identity-file.js';
import { resetButtonCheck } from './checks/reset-button.js';
import { statusLedCheck } from './checks/status-led.js';
import { wifiScanCheck } from './checks/wifi-radio.js';
import { SysfsLedReadback } from './sysfs-led-readback.js';

export interface SelfTestDeps {
  config: AgentConfig;
  hal: AgentHal;
  clock: Clock;
  logger: Logger;
  scanner: WifiScanner;
  buildTimeMs: number;
  /** Default: a FrameSource (real ffmpeg) for config.video. */
  createFeed?: () => FrameFeed;
  /** How long the operator has to press the button; default 30 s. */
  buttonWaitMs?: number;
}

/** The end-of-line self-test, in the order the issue lists the hardware. */
export function selfTestChecks(deps: SelfTestDeps): SelfTestCheck[] {
  const { config, hal, clock, logger } = deps;
  const video = config.video;
  const createFeed =
    deps.createFeed ??
    ((): FrameFeed =>
      new FrameSource({
        config: {
          input: video.input,
          loop: video.loop,
          width: video.analysis.width,
          height: video.analysis.height,
          fps: video.analysis.fps,
          stallTimeoutMs: video.stallTimeoutSeconds * 1000,
        },
        clock,
        logger: logger.child({ check: 'camera-frames' }),
      }));
  const ledDir = (name: string): string | null => (name ? underRoot(config.hal.sysRoot, join('/sys/class/leds', name)) : null);
  const button: Parameters<typeof resetButtonCheck>[0] = { button: hal.button };
  if (deps.buttonWaitMs !== undefined) button.waitMs = deps.buttonWaitMs;
  if (hal.mode === 'sim') button.simulatePress = (ms) => hal.simulatePress(ms);
  return [
    cameraFramesCheck({ input: video.input, createFeed }),
    audioLoopbackCheck({ microphone: hal.microphone, tone: hal.tone }),
    statusLedCheck(
      hal.mode === 'linux'
        ? { led: hal.led, readback: new SysfsLedReadback({ blue: ledDir(config.hal.led.blue), red: ledDir(config.hal.led.red) }) }
        : { led: hal.led },
    ),
    resetButtonCheck(button),
    wifiScanCheck({ scanner: deps.scanner }),
    clockSanityCheck({ clock, buildTimeMs: deps.buildTimeMs }),
    identityFileCheck({ identityDir: config.identity.dir }),
  ];
}

export const SELF_TEST_IDS = ['camera-frames', 'audio-loopback', 'status-led', 'reset-button', 'wifi-scan', 'clock', 'identity'] as const;
