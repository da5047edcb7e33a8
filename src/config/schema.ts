import type { RuleParams } from './formats.js';
import type { PersonalTextKey } from '../store/personal-data.js';
import { motionSettings } from '../media/motion/motion-config.js';

/**
 * The agent's configuration schema: every key with its doc, rule, default and
 * environment name. docs/config.md is generated from this file
 * (scripts/gen-config-docs.ts), so the reference cannot drift from the code.
 */
export interface Setting<T = unknown> extends RuleParams {
  doc: string;
  /** A rule name from formats.ts, or the list of allowed values. */
  format: string | readonly T[];
  default: T;
  /** Secret: never printed; config show, check and logs mask it. */
  sensitive?: boolean;
  /** How a sensitive value is shown; default: fully redacted. */
  mask?: 'url-credentials';
  /** A change takes effect only after the agent restarts. */
  restart?: boolean;
  /**
   * Set only by the firmware image, the factory partition, the environment
   * or --config, never by a runtime change (cloud or technician): these keys
   * say where the runtime file itself lives, or what the hardware is.
   */
  bootOnly?: boolean;
  /**
   * Personal data (the owner's own words): a runtime value is kept in the
   * encrypted personal-data store under this key, never in the runtime
   * config file, and is erased with the owner's other data on unbind.
   */
  personal?: PersonalTextKey;
  /** Environment variable; derived from the key path (CAMERA_AGENT_A_B_C). */
  env?: string;
}

export interface SchemaTree {
  [key: string]: Setting | SchemaTree;
}

function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

/** Current version of the configuration layout; see migrations.ts. */
export const CONFIG_VERSION = 1;

export const LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'zh', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export const schema = {
  configVersion: setting<number>({
    doc: 'Layout version of this configuration; older files are migrated at start.',
    format: 'ca-int',
    min: 1,
    max: CONFIG_VERSION,
    default: CONFIG_VERSION,
    bootOnly: true,
  }),
  device: {
    language: setting<Language>({
      doc: "Language of spoken prompts; follows the account's language preference.",
      format: LANGUAGES,
      default: 'en',
    }),
    timezone: setting<string>({
      doc: 'Time zone for timestamps shown to people (snapshot overlay, console).',
      format: 'ca-timezone',
      default: 'UTC',
    }),
  },
  data: {
    dir: setting<string>({
      doc: 'Writable state: runtime config, device state, spools. On the camera a flash partition.',
      format: 'ca-path',
      default: '/var/lib/camera-agent',
      bootOnly: true,
      restart: true,
    }),
  },
  identity: {
    dir: setting<string>({
      doc: 'Read-only factory partition with identity.json, keys and an optional per-unit config.json.',
      format: 'ca-path',
      default: '/factory',
      bootOnly: true,
      restart: true,
    }),
  },
  hal: {
    mode: setting<'sim' | 'linux'>({
      doc: 'Hardware implementation: `linux` drives sysfs/gpiod/ALSA, `sim` prints what the hardware would do.',
      format: ['sim', 'linux'],
      default: 'sim',
      restart: true,
      bootOnly: true,
    }),
    sysRoot: setting<string>({
      doc: 'Prefix for /sys, /proc, /dev and /etc paths read by the linux HAL (a stand-in tree in tests).',
      format: 'ca-path',
      default: '/',
      bootOnly: true,
      restart: true,
    }),
    led: {
      blue: setting<string>({
        doc: 'sysfs LED name (under /sys/class/leds) of the blue status LED; empty when absent.',
        format: 'ca-string',
        allowEmpty: true,
        maxLength: 64,
        pattern: /^[A-Za-z0-9_.:-]+$/,
        patternDoc: 'a LED class name',
        default: 'blue:status',
        restart: true,
      }),
      red: setting<string>({
        doc: 'sysfs LED name of the red status LED; empty when absent.',
        format: 'ca-string',
        allowEmpty: true,
        maxLength: 64,
        pattern: /^[A-Za-z0-9_.:-]+$/,
        patternDoc: 'a LED class name',
        default: 'red:status',
        restart: true,
      }),
    },
    button: {
      source: setting<'evdev' | 'gpiod' | 'none'>({
        doc: 'Where reset-button edges come from: a gpio-keys input device, libgpiod `gpiomon`, or none.',
        format: ['evdev', 'gpiod', 'none'],
        default: 'evdev',
        restart: true,
      }),
      evdevPath: setting<string>({
        doc: 'Input device of the gpio-keys driver.',
        format: 'ca-path',
        default: '/dev/input/event0',
        restart: true,
      }),
      evdevKeyCode: setting<number>({
        doc: 'Key code the button reports (408 = KEY_RESTART).',
        format: 'ca-int',
        min: 0,
        max: 767,
        default: 408,
        restart: true,
      }),
      evdevLayout: setting<'auto' | '64' | '32'>({
        doc: 'struct input_event layout: 64-bit (24 bytes) or 32-bit (16 bytes) time fields; auto follows the CPU.',
        format: ['auto', '64', '32'],
        default: 'auto',
        restart: true,
      }),
      gpioChip: setting<string>({
        doc: 'GPIO chip for `gpiomon` (source gpiod).',
        format: 'ca-string',
        maxLength: 64,
        pattern: /^[A-Za-z0-9_.-]+$/,
        patternDoc: 'a gpiochip name',
        default: 'gpiochip0',
        restart: true,
      }),
      gpioLine: setting<number>({
        doc: 'GPIO line offset of the button (source gpiod).',
        format: 'ca-int',
        min: 0,
        max: 1023,
        default: 0,
        restart: true,
      }),
      activeLow: setting<boolean>({
        doc: 'The button pulls the line low when pressed.',
        format: 'ca-bool',
        default: true,
        restart: true,
      }),
    },
    speaker: {
      alsaDevice: setting<string>({
        doc: 'ALSA PCM that plays prompts (aplay -D).',
        format: 'ca-string',
        maxLength: 128,
        pattern: /^[A-Za-z0-9_:,.=-]+$/,
        patternDoc: 'an ALSA device name',
        default: 'default',
        restart: true,
      }),
      promptsDir: setting<string>({
        doc: 'Folder with one sub-folder per language holding <prompt>.wav files.',
        format: 'ca-path',
        default: '/usr/share/camera-agent/prompts',
        restart: true,
      }),
    },
    microphone: {
      alsaDevice: setting<string>({
        doc: 'ALSA PCM the microphone is captured from (arecord -D); often the same duplex device as the speaker.',
        format: 'ca-string',
        maxLength: 128,
        pattern: /^[A-Za-z0-9_:,.=-]+$/,
        patternDoc: 'an ALSA device name',
        default: 'default',
        restart: true,
      }),
    },
    amplifier: {
      gpioValuePath: setting<string>({
        doc: 'sysfs GPIO `value` file that enables the speaker amplifier; empty when the amplifier is always on. Switched on before the first talkback sample and off after the last.',
        format: 'ca-path',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      activeLow: setting<boolean>({
        doc: 'The amplifier is enabled by writing 0 to the GPIO.',
        format: 'ca-bool',
        default: false,
        restart: true,
      }),
      settleMs: setting<number>({
        doc: 'Wait after enabling the amplifier before the first sample, so its power-up pop is not heard over speech.',
        format: 'ca-int',
        min: 0,
        max: 500,
        default: 20,
        restart: true,
      }),
    },
    power: {
      rebootCommand: setting<string>({
        doc: 'Command that reboots the camera, split on spaces (no shell); the firmware must allow it for the agent user.',
        format: 'ca-string',
        maxLength: 256,
        pattern: /^\/?[A-Za-z0-9_./-]+( [A-Za-z0-9_./=-]+)*$/,
        patternDoc: 'a program and plain arguments',
        default: 'systemctl reboot',
        restart: true,
        bootOnly: true,
      }),
    },
    shutter: {
      gpioValuePath: setting<string>({
        doc: 'sysfs GPIO value file of the privacy shutter switch; empty when the model has none.',
        format: 'ca-path',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      activeLow: setting<boolean>({
        doc: 'The shutter line reads 0 when the shutter is closed.',
        format: 'ca-bool',
        default: false,
        restart: true,
      }),
    },
    facts: {
      netInterface: setting<string>({
        doc: 'Network interface whose MAC address identifies the camera.',
        format: 'ca-string',
        maxLength: 15,
        pattern: /^[A-Za-z0-9_.-]+$/,
        patternDoc: 'an interface name',
        default: 'wlan0',
        restart: true,
      }),
      firmwareVersionFile: setting<string>({
        doc: 'File holding the firmware version; empty to read VERSION_ID from /etc/os-release.',
        format: 'ca-path',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
    },
    sim: {
      buttonFile: setting<string>({
        doc: 'Simulated HAL: file the agent watches for button presses (lines `press <ms>`); empty = none.',
        format: 'ca-path',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      shutterFile: setting<string>({
        doc: 'Simulated HAL: file holding `open` or `closed` for the privacy shutter; empty = always open.',
        format: 'ca-path',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      serial: setting<string>({
        doc: 'Simulated HAL: serial number reported by the simulated board.',
        format: 'ca-string',
        maxLength: 32,
        pattern: /^[A-Z0-9-]+$/,
        patternDoc: 'upper-case letters, digits and -',
        default: 'SIM0000001',
      }),
      mac: setting<string>({
        doc: 'Simulated HAL: MAC address of the simulated Wi-Fi interface.',
        format: 'ca-string',
        pattern: /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/,
        patternDoc: 'lower-case aa:bb:cc:dd:ee:ff',
        default: '02:00:00:00:00:01',
      }),
      firmwareVersion: setting<string>({
        doc: 'Simulated HAL: firmware version of the simulated image.',
        format: 'ca-string',
        maxLength: 32,
        default: '0.0.0-sim',
      }),
      wired: setting<boolean>({
        doc: 'Simulated HAL: the camera has a wired network, so the cloud link starts without Wi-Fi provisioning. false: only a joined simulated Wi-Fi network connects it (the demo).',
        format: 'ca-bool',
        default: true,
        restart: true,
      }),
      alsaAudio: setting<boolean>({
        doc: 'Simulated HAL: use the real ALSA speaker and microphone (hal.speaker/hal.microphone devices) instead of the simulated room; for development machines with a sound card and for the audio tests.',
        format: 'ca-bool',
        default: false,
        restart: true,
      }),
      bootIdFile: setting<string>({
        doc: 'Simulated HAL: file holding the board\'s boot id (a firmware update checks it to know whether the reboot happened); empty = every agent start is a new boot.',
        format: 'ca-path',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      speakerRecording: setting<string>({
        doc: 'Simulated HAL: WAV file that each talkback playback through the simulated speaker is written to (replaced atomically when the playback ends); empty = not kept.',
        format: 'ca-path',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      wifiNetworks: setting<Array<{ ssid: string; password?: string; auth?: 'wpa' | 'sae' | 'open'; hidden?: boolean }>>({
        doc: 'Simulated HAL: the Wi-Fi networks in range: [{"ssid", "password", "auth": "wpa"|"sae"|"open", "hidden"}]. Joining checks the password.',
        format: 'ca-sim-wifi-networks',
        default: [],
        sensitive: true,
        restart: true,
      }),
    },
  },
  video: {
    input: setting<string>({
      doc:
        'Analysis input for ffmpeg, used instead of the ONVIF sub-stream when set: an rtsp(s)/http(s) URL, ' +
        'an absolute file path (read in real time) or `lavfi:<filtergraph>`. Credentials in the URL are masked wherever shown.',
      format: 'ca-media-input',
      schemes: ['rtsp', 'rtsps', 'http', 'https', 'rtmp', 'srt', 'udp'],
      allowEmpty: true,
      default: '',
      sensitive: true,
      mask: 'url-credentials',
      restart: true,
    }),
    onvif: {
      xaddr: setting<string>({
        doc: 'ONVIF device service URL of the streamer (http only: node-onvif has no https), e.g. http://127.0.0.1/onvif/device_service. Used when video.input is empty.',
        format: 'ca-string',
        allowEmpty: true,
        maxLength: 512,
        pattern: /^http:\/\/[^\s@/]+(\/\S*)?$/,
        patternDoc: 'an http:// URL without credentials',
        default: '',
        restart: true,
      }),
      user: setting<string>({
        doc: 'ONVIF user (WS-UsernameToken), also used in the RTSP URL.',
        format: 'ca-string',
        allowEmpty: true,
        maxLength: 64,
        pattern: /^[\x20-\x25\x27-\x3b\x3d\x3f-\x7e]*$/,
        patternDoc: 'printable ASCII without < > &',
        default: 'admin',
        restart: true,
      }),
      password: setting<string>({
        doc: 'ONVIF password; also added (percent-encoded) to the RTSP URL for ffmpeg.',
        format: 'ca-string',
        allowEmpty: true,
        maxLength: 128,
        pattern: /^[\x20-\x3b\x3d\x3f-\x7e]*$/,
        patternDoc: 'printable ASCII without < >',
        default: '',
        sensitive: true,
        restart: true,
      }),
      discover: setting<boolean>({
        doc: 'When xaddr is empty, find the streamer by WS-Discovery (first answer).',
        format: 'ca-bool',
        default: false,
        restart: true,
      }),
      timeoutSeconds: setting<number>({
        doc: 'Deadline for connecting to the ONVIF service.',
        format: 'ca-int',
        min: 1,
        max: 60,
        default: 5,
        restart: true,
      }),
      discoverTimeoutSeconds: setting<number>({
        doc: 'How long WS-Discovery listens (node-onvif needs ≥ 1.5 s to send its 9 probes).',
        format: 'ca-number',
        min: 1.5,
        max: 30,
        default: 2,
        restart: true,
      }),
    },
    loop: setting<boolean>({
      doc: 'Loop a file input at its end (a camera never runs out of video).',
      format: 'ca-bool',
      default: true,
      restart: true,
    }),
    analysis: {
      width: setting<number>({
        doc: 'Width in pixels of the grayscale frames the agent analyses.',
        format: 'ca-int',
        min: 64,
        max: 1280,
        default: 320,
      restart: true,
      }),
      height: setting<number>({
        doc: 'Height in pixels of the analysed frames (100–180 keeps motion detection under 1 ms per frame).',
        format: 'ca-int',
        min: 48,
        max: 720,
        default: 180,
      restart: true,
      }),
      fps: setting<number>({
        doc: 'Analysed frames per second.',
        format: 'ca-int',
        min: 1,
        max: 30,
        default: 5,
      restart: true,
      }),
    },
    stallTimeoutSeconds: setting<number>({
      doc: 'Restart ffmpeg when no frame arrived for this long.',
      format: 'ca-int',
      min: 2,
      max: 300,
      default: 10,
      restart: true,
    }),
  },
  cloud: {
    enabled: setting<boolean>({ doc: 'Keep the MQTT link to the cloud.', format: 'ca-bool', default: true, restart: true }),
    url: setting<string>({
      doc: 'Broker URL mqtts://host:port. mqtt:// only for a loopback test or demo broker. Empty: no cloud link.',
      format: 'ca-url',
      schemes: ['mqtts', 'mqtt'],
      plaintextOnlyLoopback: true,
      allowEmpty: true,
      default: '',
      restart: true,
    }),
    ca: setting<string>({
      doc: 'PEM file with the CA that signs the broker certificate (pinned: no system trust store).',
      format: 'ca-path',
      default: '/etc/camera-agent/cloud-ca.pem',
      restart: true,
    }),
    topicPrefix: setting<string>({
      doc: 'Topic prefix; {deviceId} is replaced by the device id (certificate CN).',
      format: 'ca-string',
      maxLength: 128,
      pattern: /^[A-Za-z0-9_.{}\/-]*\{deviceId\}[A-Za-z0-9_.{}\/-]*$/,
      patternDoc: 'topic levels containing {deviceId}, no wildcards',
      default: 'cam/{deviceId}',
      restart: true,
    }),
    serverName: setting<string>({
      doc: 'TLS SNI server name; empty: the host of cloud.url.',
      format: 'ca-string',
      allowEmpty: true,
      maxLength: 253,
      pattern: /^[A-Za-z0-9.-]+$/,
      patternDoc: 'a DNS name',
      default: '',
      restart: true,
    }),
    alpn: setting<'auto' | 'on' | 'off'>({
      doc: 'ALPN x-amzn-mqtt-ca (AWS IoT on port 443): auto sends it on port 443 only.',
      format: ['auto', 'on', 'off'],
      default: 'auto',
      restart: true,
    }),
    protocol: setting<'auto' | '5' | '3.1.1'>({
      doc: 'MQTT version; auto tries 5 and falls back to 3.1.1 when the broker refuses it.',
      format: ['auto', '5', '3.1.1'],
      default: 'auto',
      restart: true,
    }),
    keepaliveS: setting<number>({ doc: 'MQTT keep-alive in seconds (AWS IoT allows 30–1200).', format: 'ca-int', min: 30, max: 1200, default: 120, restart: true }),
    sessionExpiryS: setting<number>({ doc: 'MQTT 5 session expiry of the persistent session, seconds.', format: 'ca-int', min: 0, max: 604800, default: 3600, restart: true }),
    connectTimeoutMs: setting<number>({ doc: 'How long to wait for CONNACK.', format: 'ca-int', min: 1000, max: 120000, default: 20000, restart: true }),
    requestTtlMs: setting<number>({ doc: 'Requests without their own ttlMs older than this are refused (request_expired).', format: 'ca-int', min: 1000, max: 86400000, default: 300000 }),
    healthIntervalS: setting<number>({ doc: 'Period of the health telemetry message.', format: 'ca-int', min: 30, max: 86400, default: 300, restart: true }),
    backoff: {
      minMs: setting<number>({ doc: 'First reconnect delay cap (full jitter below it).', format: 'ca-int', min: 100, max: 60000, default: 1000, restart: true }),
      maxMs: setting<number>({ doc: 'Largest reconnect delay cap.', format: 'ca-int', min: 1000, max: 3600000, default: 120000, restart: true }),
      resetAfterMs: setting<number>({ doc: 'The backoff resets only after the link stayed up this long.', format: 'ca-int', min: 0, max: 600000, default: 30000, restart: true }),
      startDelayMaxMs: setting<number>({
        doc: 'Random delay before the first connect and before the first reconnect after a stable connection is lost, so a fleet that boots or loses its broker together does not come back together.',
        format: 'ca-int',
        min: 0,
        max: 600000,
        default: 5000,
        restart: true,
      }),
    },
    outbox: {
      maxCount: setting<number>({ doc: 'Events kept on flash while offline; beyond it the oldest low-priority event is dropped.', format: 'ca-int', min: 10, max: 100000, default: 1000, restart: true }),
      maxBytes: setting<number>({ doc: 'Bytes of events kept on flash while offline.', format: 'ca-int', min: 65536, max: 67108864, default: 4194304, restart: true }),
      maxAgeH: setting<number>({ doc: 'Events older than this are dropped (short retention).', format: 'ca-int', min: 1, max: 720, default: 24, restart: true }),
    },
    drain: {
      messagesPerSecond: setting<number>({ doc: 'Outbox drain rate (AWS IoT allows 100 publishes/s per connection).', format: 'ca-int', min: 1, max: 90, default: 80, restart: true }),
      bytesPerSecond: setting<number>({ doc: 'Outbox drain bytes per second (AWS IoT allows 512 KB/s per connection).', format: 'ca-int', min: 1000, max: 380000, default: 360000, restart: true }),
      maxInflight: setting<number>({ doc: 'QoS 1 publishes awaiting PUBACK at once.', format: 'ca-int', min: 1, max: 100, default: 20, restart: true }),
    },
    homeAssistant: {
      enabled: setting<boolean>({ doc: 'Publish Home Assistant MQTT discovery (for local brokers).', format: 'ca-bool', default: false, restart: true }),
      discoveryPrefix: setting<string>({ doc: 'Home Assistant discovery prefix.', format: 'ca-string', maxLength: 64, pattern: /^[A-Za-z0-9_-]+$/, patternDoc: 'one topic level', default: 'homeassistant', restart: true }),
    },
  },
  motion: motionSchema(),
  privacy: {
    mode: setting<boolean>({
      doc: 'Privacy mode: no video analysis, no alarms, no snapshots (as while the privacy shutter is closed). Persisted; reported as `privacy` in info.',
      format: 'ca-bool',
      default: false,
    }),
    masks: setting<Array<{ name: string; points: Array<[number, number]> }>>({
      doc: 'Privacy masks burned black into every alarm snapshot before it leaves the device: [{"name", "points": [[x, y], …]}] with 0–1 coordinates (docs/snapshots.md).',
      format: 'ca-privacy-masks',
      default: [],
    }),
  },
  alarm: {
    enabled: setting<boolean>({ doc: 'Raise an alarm event on every motion start.', format: 'ca-bool', default: true }),
    snapshots: setting<boolean>({
      doc: 'Capture and send a snapshot with each alarm. false: no image is captured, spooled or sent (only the event); spooled images are deleted. Reported as `alarmSnapshots` in info.',
      format: 'ca-bool',
      default: true,
    }),
    delivery: setting<'https' | 'mqtt'>({
      doc: 'How the image leaves: `https` (PUT to a presigned URL the cloud hands out; production, AWS IoT allows 128 KB per message) or `mqtt` (binary on cam/{deviceId}/snapshot/{alarmId}, chunked above alarm.mqtt.maxPayloadBytes). docs/protocol.md.',
      format: ['https', 'mqtt'] as const,
      default: 'https',
    }),
    maxPerMinute: setting<number>({ doc: 'Alarms raised per rolling minute at most; further motion starts are counted, not sent.', format: 'ca-int', min: 1, max: 600, default: 10 }),
    mqtt: {
      maxPayloadBytes: setting<number>({ doc: 'Largest snapshot message; a bigger JPEG is sent in chunks of this size (header included). AWS IoT: 131072.', format: 'ca-int', min: 4096, max: 131072, default: 131072 }),
    },
    https: {
      urlTimeoutMs: setting<number>({ doc: 'How long to wait for the cloud to answer an upload-url request.', format: 'ca-int', min: 500, max: 120000, default: 10000 }),
      uploadTimeoutMs: setting<number>({ doc: 'Budget of one PUT of a snapshot.', format: 'ca-int', min: 1000, max: 300000, default: 30000 }),
      ca: setting<string>({ doc: 'PEM file of extra CAs trusted for uploads (tests, on-premise clouds); empty = the system CAs only.', format: 'ca-path', allowEmpty: true, default: '', restart: true }),
    },
    retry: {
      minMs: setting<number>({ doc: 'First retry delay of a failed snapshot delivery (doubling, equal jitter).', format: 'ca-int', min: 100, max: 600000, default: 5000 }),
      maxMs: setting<number>({ doc: 'Largest retry delay of a failed snapshot delivery.', format: 'ca-int', min: 1000, max: 3600000, default: 600000 }),
    },
    snapshot: {
      width: setting<number>({ doc: 'Snapshot width in px (aspect kept).', format: 'ca-int', min: 160, max: 3840, default: 1280 }),
      quality: setting<number>({ doc: 'Snapshot JPEG quality.', format: 'ca-int', min: 10, max: 100, default: 80 }),
      thumbnailWidth: setting<number>({ doc: 'Thumbnail width in px.', format: 'ca-int', min: 64, max: 640, default: 320 }),
      thumbnailQuality: setting<number>({ doc: 'Thumbnail JPEG quality.', format: 'ca-int', min: 10, max: 100, default: 70 }),
      maxUpscale: setting<number>({ doc: 'Never enlarge a captured frame more than this factor (a low-res fallback frame stays small).', format: 'ca-number', min: 1, max: 8, default: 4 }),
      overlay: {
        enabled: setting<boolean>({ doc: 'Draw time and device name into the snapshot.', format: 'ca-bool', default: true }),
        position: setting<'top-left' | 'top-right' | 'bottom-left' | 'bottom-right'>({ doc: 'Overlay strip edge and the time\'s end: bottom-left = strip at the bottom, time left, device name right.', format: ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const, default: 'bottom-left' }),
        deviceName: setting<string>({ doc: 'Device name shown at the other end of the strip from the time; empty shows the time only. The owner\'s words: a runtime value is stored encrypted with the personal data, not in the runtime config file.', format: 'ca-string', maxLength: 48, allowEmpty: true, default: '', personal: 'deviceName' }),
      },
      onvifTimeoutMs: setting<number>({ doc: 'Budget of the ONVIF snapshot-URI request.', format: 'ca-int', min: 100, max: 30000, default: 1500 }),
      grabTimeoutMs: setting<number>({ doc: 'Budget of the ffmpeg one-frame grab of the main stream.', format: 'ca-int', min: 100, max: 30000, default: 3000 }),
      totalTimeoutMs: setting<number>({ doc: 'Whole capture budget; afterwards the best pre-event frame is used.', format: 'ca-int', min: 100, max: 60000, default: 4000 }),
      preEventFrames: setting<number>({ doc: 'Analysis frames kept for the low-res fallback (0 = none).', format: 'ca-int', min: 0, max: 100, default: 10 }),
    },
    spool: {
      maxBytes: setting<number>({ doc: 'Bytes of undelivered snapshots kept on flash; the oldest are dropped beyond it.', format: 'ca-int', min: 262144, max: 268435456, default: 8388608 }),
      maxCount: setting<number>({ doc: 'Undelivered snapshots kept on flash.', format: 'ca-int', min: 1, max: 10000, default: 50 }),
      retentionHours: setting<number>({ doc: 'Snapshots older than this are deleted, delivered or not (shortest retention of personal data).', format: 'ca-number', min: 0.01, max: 168, default: 24 }),
    },
  },
  log: {
    level: setting<(typeof LOG_LEVELS)[number]>({
      doc: 'Lowest level written to stdout (journald).',
      format: LOG_LEVELS,
      default: 'info',
    }),
    ringLines: setting<number>({
      doc: 'Recent log lines kept in memory (redacted) for diagnostics and log upload.',
      format: 'ca-int',
      min: 100,
      max: 20000,
      default: 2000,
      restart: true,
    }),
  },
  talkback: {
    enabled: setting<boolean>({ doc: 'Accept talkback sessions (two-way audio with the app, docs/talkback.md).', format: 'ca-bool', default: true }),
    volume: setting<number>({ doc: 'Speaker volume for talkback audio, percent of full scale (applied to the decoded samples).', format: 'ca-int', min: 0, max: 100, default: 80 }),
    jitterMs: setting<number>({
      doc: 'Jitter buffer depth: how long the first frame of a talk spurt waits before it is played, so late and reordered frames still make it.',
      format: 'ca-int',
      min: 0,
      max: 500,
      default: 60,
    }),
    maxJitterMs: setting<number>({
      doc: 'Most audio the jitter buffer holds; frames beyond it (a burst after a network stall) are dropped, oldest first, so latency cannot grow.',
      format: 'ca-int',
      min: 40,
      max: 2000,
      default: 300,
    }),
    duplex: setting<'half' | 'full'>({
      doc: "'half': the microphone is muted while the far end speaks (no echo without echo cancellation); 'full': both directions always open.",
      format: ['half', 'full'],
      default: 'half',
    }),
    halfDuplexHangMs: setting<number>({
      doc: 'Half duplex: how long the microphone stays muted after the far end stops speaking.',
      format: 'ca-int',
      min: 0,
      max: 2000,
      default: 300,
    }),
    idleTimeoutS: setting<number>({
      doc: 'A session with nothing received from the far end (audio or keep-alive) for this long is ended (reason idle_timeout).',
      format: 'ca-int',
      min: 5,
      max: 300,
      default: 30,
    }),
    maxSessionS: setting<number>({ doc: 'Hard cap on one session (reason max_duration).', format: 'ca-int', min: 10, max: 3600, default: 600 }),
    periodMs: setting<number>({ doc: 'ALSA period of the talkback playback.', format: 'ca-int', min: 5, max: 100, default: 10, restart: true }),
    bufferMs: setting<number>({ doc: 'ALSA buffer of the talkback playback (at least two periods).', format: 'ca-int', min: 10, max: 500, default: 40, restart: true }),
    relay: {
      caFile: setting<string>({
        doc: 'PEM bundle trusted for the WebSocket relay the cloud names; empty = the system CAs.',
        format: 'ca-path',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      connectTimeoutS: setting<number>({ doc: 'Give up connecting to the relay after this long (reason relay_unreachable).', format: 'ca-int', min: 1, max: 60, default: 10 }),
    },
  },
  api: {
    enabled: setting<boolean>({ doc: 'Serve the local HTTPS API and web console for technicians (docs/local-api.md).', format: 'ca-bool', default: true, restart: true }),
    bind: setting<string>({
      doc: 'Address the local API listens on. Empty = 127.0.0.1 until the camera is bound to an account, then every interface; an explicit address is used as given.',
      format: 'ca-string',
      maxLength: 39,
      pattern: /^[0-9A-Fa-f.:]*$/,
      patternDoc: 'an IPv4 or IPv6 address, or empty',
      allowEmpty: true,
      default: '',
      restart: true,
    }),
    port: setting<number>({
      doc: 'TCP port of the local HTTPS API and console for technicians (the mDNS SRV record names it). Simulated hardware takes any free port while this is the default.',
      format: 'ca-int',
      min: 1,
      max: 65535,
      default: 8443,
      restart: true,
    }),
  },
  provisioning: {
    qr: {
      enabled: setting<boolean>({ doc: 'While provisioning, look for a Wi-Fi QR code (PRV1: or WIFI:) shown to the lens.', format: 'ca-bool', default: true }),
      windowMinutes: setting<number>({
        doc: 'How long one QR scanning window lasts (the binding token lives 10 minutes); then scanning pauses until a short button press.',
        format: 'ca-int',
        min: 1,
        max: 60,
        default: 10,
      }),
      width: setting<number>({
        doc: 'Width of the frames decoded for QR codes (from the main stream when the input is ONVIF). 1280×720 reads a code twice as far away as 640×360 (docs/provisioning.md); 960×540 for weak SoCs.',
        format: 'ca-int',
        min: 320,
        max: 1920,
        default: 1280,
        restart: true,
      }),
      height: setting<number>({ doc: 'Height of the frames decoded for QR codes.', format: 'ca-int', min: 180, max: 1080, default: 720, restart: true }),
      fps: setting<number>({ doc: 'QR decode attempts per second (provisioning.md §6.7: 2–5).', format: 'ca-number', min: 1, max: 10, default: 4, restart: true }),
    },
  },
  network: {
    ap: {
      enabled: setting<boolean>({ doc: 'AP mode: while provisioning, open the camera\'s own hotspot for the app\'s protected session and the browser setup portal (docs/provisioning.md).', format: 'ca-bool', default: true }),
      backend: setting<'hostapd' | 'networkmanager'>({
        doc: 'How the hotspot is run: hostapd + dnsmasq (templates in /etc/camera-agent/ap) or a NetworkManager shared hotspot. Simulated hardware always uses a simulated one.',
        format: ['hostapd', 'networkmanager'] as const,
        default: 'hostapd',
        restart: true,
      }),
      startAfterMinutes: setting<number>({
        doc: 'Minutes of QR-only scanning before the hotspot opens (a single radio cannot serve a hotspot and keep the scan fresh); 0 = at once.',
        format: 'ca-number',
        min: 0,
        max: 30,
        default: 3,
      }),
      portal: setting<boolean>({ doc: 'Serve the browser setup portal too (wildcard DNS on the hotspot); false = the app\'s protected session only.', format: 'ca-bool', default: true }),
      port: setting<number>({ doc: 'Port of the provisioning HTTP server on 192.168.4.1 (simulated hardware: on 127.0.0.1; 0 = any free port).', format: 'ca-int', min: 0, max: 65535, default: 80, restart: true }),
      interface: setting<string>({
        doc: 'Interface for the hotspot; empty = network.wifi.interface, else wlan0.',
        format: 'ca-string',
        maxLength: 15,
        pattern: /^[A-Za-z0-9_.-]*$/,
        patternDoc: 'an interface name',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      concurrent: setting<boolean>({ doc: 'The radio runs AP and station at once (iw list shows the combination): the hotspot stays up while joining.', format: 'ca-bool', default: false, restart: true }),
      countryCode: setting<string>({
        doc: 'Regulatory domain of the hotspot (ISO 3166-1 alpha-2); empty = the kernel\'s world domain.',
        format: 'ca-string',
        maxLength: 2,
        pattern: /^([A-Z]{2})?$/,
        patternDoc: 'two upper-case letters or empty',
        allowEmpty: true,
        default: '',
      }),
      channel: setting<number>({ doc: 'Hotspot channel: 1, 6 or 11 (2.4 GHz, allowed everywhere).', format: 'ca-int', min: 1, max: 11, default: 6 }),
    },
    lanBind: {
      enabled: setting<boolean>({
        doc: 'While online but unbound, serve the protected /prov/v1 session on the home network so the app can bind the camera (docs/provisioning.md, "LAN bind").',
        format: 'ca-bool',
        default: true,
      }),
      port: setting<number>({ doc: 'Port of the LAN-bind server on the camera\'s LAN address (simulated hardware: on 127.0.0.1; 0 = any free port).', format: 'ca-int', min: 0, max: 65535, default: 8080, restart: true }),
    },
    wifi: {
      interface: setting<string>({
        doc: 'Wi-Fi interface to join networks on; empty = the first Wi-Fi device NetworkManager reports.',
        format: 'ca-string',
        maxLength: 15,
        pattern: /^[A-Za-z0-9_.-]*$/,
        patternDoc: 'an interface name',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      joinTimeoutSeconds: setting<number>({ doc: 'How long NetworkManager may take to activate a network (nmcli --wait).', format: 'ca-int', min: 10, max: 180, default: 45 }),
      connectivityCheck: setting<boolean>({
        doc: 'After joining, ask NetworkManager whether the internet is reachable (no_internet otherwise, and the previous network is restored).',
        format: 'ca-bool',
        default: true,
      }),
    },
    mdns: {
      enabled: setting<boolean>({ doc: 'Advertise the camera on the LAN by mDNS/DNS-SD (never on its own hotspot).', format: 'ca-bool', default: true, restart: true }),
      interface: setting<string>({
        doc: 'Interface (name or IPv4 address) to advertise on; empty = hal.facts.netInterface on a real camera, none on simulated hardware (a demo must not announce itself on the host\'s LAN).',
        format: 'ca-string',
        maxLength: 39,
        pattern: /^[A-Za-z0-9_.:-]*$/,
        patternDoc: 'an interface name or an IPv4 address',
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      brand: setting<string>({
        doc: 'Brand shown before the model in the instance name ("ACME CAM100 7890"); empty = model and serial only.',
        format: 'ca-string',
        maxLength: 24,
        allowEmpty: true,
        default: '',
        restart: true,
      }),
      serviceType: setting<string>({
        doc: 'DNS-SD service type without the leading underscore: `camera-agent` → `_camera-agent._tcp`.',
        format: 'ca-string',
        maxLength: 15,
        // RFC 6335 §5.1: letters, digits, hyphens; at least one letter; no double or edge hyphens.
        pattern: /^(?=[a-z0-9-]*[a-z])[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/,
        patternDoc: 'lower-case letters, digits and single inner hyphens, at least one letter (RFC 6335, ≤ 15)',
        default: 'camera-agent',
        restart: true,
      }),
    },
  },
  ota: {
    enabled: setting<boolean>({ doc: 'Run firmware update jobs from the cloud (docs/ota.md).', format: 'ca-bool', default: true }),
    publicKeys: setting<string>({
      doc: 'Folder of the vendor\'s trusted update-signing public keys (PEM, Ed25519 or ECDSA P-256), read-only in the firmware image.',
      format: 'ca-path',
      default: '/etc/camera-agent/ota-keys',
      restart: true,
    }),
    spoolDir: setting<string>({
      doc: 'Where the image is downloaded before it is handed to the installer; empty = `ota/` in data.dir. Point it at the update partition or a large enough data partition.',
      format: 'ca-path',
      allowEmpty: true,
      default: '',
      restart: true,
    }),
    caFile: setting<string>({
      doc: 'PEM bundle trusted for the image download host (in addition to the system CAs); empty = the system CAs only.',
      format: 'ca-path',
      allowEmpty: true,
      default: '',
      restart: true,
    }),
    maxImageBytes: setting<number>({ doc: 'Largest image accepted (the update partition\'s size).', format: 'ca-int', min: 1024, max: 4 * 1024 * 1024 * 1024, default: 512 * 1024 * 1024 }),
    installer: {
      command: setting<string>({
        doc: 'Installer program and arguments, split on spaces (no shell); `{image}` is replaced by the downloaded file. E.g. `rauc install {image}`, `swupdate -i {image}`, or an A/B script.',
        format: 'ca-string',
        maxLength: 256,
        pattern: /^\/?[A-Za-z0-9_./-]+( [A-Za-z0-9_./={}:-]+)*$/,
        patternDoc: 'a program and plain arguments',
        default: 'rauc install {image}',
        restart: true,
      }),
      markGoodCommand: setting<string>({
        doc: 'Marks the running slot good after a confirmed update, split on spaces (no shell). E.g. `rauc status mark-good`.',
        format: 'ca-string',
        maxLength: 256,
        pattern: /^\/?[A-Za-z0-9_./-]+( [A-Za-z0-9_./=:-]+)*$/,
        patternDoc: 'a program and plain arguments',
        default: 'rauc status mark-good',
        restart: true,
      }),
      timeoutS: setting<number>({ doc: 'Longest an install may take before it is killed and the job fails.', format: 'ca-int', min: 10, max: 7200, default: 1800 }),
    },
    confirmTimeoutS: setting<number>({
      doc: 'After the reboot into a new version: how long the health check (cloud link up, video frames arriving) may take before the update is reported failed and the slot is not marked good.',
      format: 'ca-int',
      min: 10,
      max: 3600,
      default: 300,
    }),
    minFreeBytes: setting<number>({ doc: 'Free space that must remain on the spool\'s file system after the image.', format: 'ca-int', min: 0, max: 1024 * 1024 * 1024, default: 8 * 1024 * 1024 }),
    lockMaxDeferS: setting<number>({
      doc: 'Longest the update lock (talkback or a technician session in progress) may defer an install; after it the job fails with update_locked.',
      format: 'ca-int',
      min: 60,
      max: 86400,
      default: 3600,
    }),
  },
  watchdog: {
    maxEventLoopLagMs: setting<number>({
      doc: 'The systemd watchdog is fed only while event-loop lag stays below this.',
      format: 'ca-int',
      min: 50,
      max: 60000,
      default: 2000,
    }),
  },
} satisfies SchemaTree;

/**
 * The motion knobs are defined once, with the detector (motion-config.ts,
 * also the source of docs/motion.md); the schema is built from that table
 * so the two cannot drift. Every knob applies live, without a restart.
 */
function motionSchema(): SchemaTree {
  const tree: SchemaTree = {};
  for (const m of motionSettings) {
    const parts = m.key.split('.');
    let node = tree;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as SchemaTree;
    const format =
      m.format === 'motion-regions' ? (m.key === 'zones' ? 'ca-motion-zones' : 'ca-motion-masks') : m.format === 'motion-schedule' ? 'ca-motion-schedule' : m.format;
    node[parts[parts.length - 1]!] = setting({
      doc: m.doc,
      format,
      default: m.default,
      ...(m.min !== undefined ? { min: m.min } : {}),
      ...(m.max !== undefined ? { max: m.max } : {}),
    });
  }
  return tree;
}

type ValueTree<T> = {
  [K in keyof T]: T[K] extends Setting<infer V> ? V : ValueTree<T[K]>;
};

/** The effective configuration, typed from the schema. */
export type AgentConfig = ValueTree<typeof schema>;

export function isSetting(node: Setting | SchemaTree): node is Setting {
  return Object.prototype.hasOwnProperty.call(node, 'default') && Object.prototype.hasOwnProperty.call(node, 'doc');
}

/** Every setting with its dotted path, in schema order. */
export function settings(tree: SchemaTree = schema, prefix = ''): Array<[string, Setting]> {
  const out: Array<[string, Setting]> = [];
  for (const [key, node] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isSetting(node)) out.push([path, node]);
    else out.push(...settings(node, path));
  }
  return out;
}

export function envName(path: string): string {
  return `CAMERA_AGENT_${path.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/\./g, '_').toUpperCase()}`;
}

export function settingAt(path: string): Setting | undefined {
  let node: Setting | SchemaTree | undefined = schema;
  for (const part of path.split('.')) {
    if (!node || isSetting(node) || !Object.prototype.hasOwnProperty.call(node, part)) return undefined;
    node = node[part];
  }
  return node && isSetting(node) ? node : undefined;
}
