/**
 * The `hal.*` configuration keys, as a plain interface. The convict schema
 * (src/config) declares the same names; this module only describes the shape
 * and the defaults so the HAL can be built and tested without the schema.
 */
export interface HalConfig {
  /** 'sim' on a development machine, 'linux' on the camera. */
  mode: 'sim' | 'linux';
  /** Prefix for every absolute path the linux HAL touches; tests point it at a stand-in tree. */
  sysRoot: string;
  /** Directory names under /sys/class/leds; '' = the board has no such LED. */
  led: { blue: string; red: string };
  button: {
    source: 'evdev' | 'gpiod' | 'none';
    /** Input device created by the gpio-keys driver. */
    evdevPath: string;
    /** Key code the device tree assigns to the button; 408 is KEY_RESTART. */
    evdevKeyCode: number;
    /** Size of `struct input_event`: 24 bytes on 64-bit kernels' ABI ('64'), 16 on 32-bit ('32'). */
    evdevLayout: '64' | '32';
    /** gpiomon chip argument: name ('gpiochip0') or number. */
    gpioChip: string;
    gpioLine: number;
    /** true when the line reads 0 while the button is pressed (pull-up, switch to ground). */
    activeLow: boolean;
  };
  speaker: {
    /** aplay -D argument. */
    alsaDevice: string;
    /** Holds `<language>/<prompt-id>.wav`. */
    promptsDir: string;
  };
  microphone: {
    /** arecord -D argument; often the same duplex PCM as the speaker. */
    alsaDevice: string;
  };
  amplifier: {
    /** sysfs GPIO `value` file enabling the speaker amplifier; '' = always on. */
    gpioValuePath: string;
    /** true when writing 0 enables the amplifier. */
    activeLow: boolean;
    /** Pause after enabling before the first sample (power-up pop). */
    settleMs: number;
  };
  power: {
    /** Reboot command, split on spaces into argv (no shell). */
    rebootCommand: string;
  };
  shutter: {
    /** sysfs GPIO `value` file of the shutter switch; '' = no shutter. */
    gpioValuePath: string;
    /** true when the value file reads 0 while the shutter is closed. */
    activeLow: boolean;
  };
  facts: {
    /** Interface whose MAC address identifies the device. */
    netInterface: string;
    /** File holding the firmware version; '' = VERSION_ID from /etc/os-release. */
    firmwareVersionFile: string;
  };
  sim: {
    /** File the simulator watches for appended `press <ms>` lines; '' = none. */
    buttonFile: string;
    /** File holding `open` or `closed`; '' = the shutter is always open. */
    shutterFile: string;
    serial: string;
    mac: string;
    firmwareVersion: string;
    /** Use the ALSA speaker and microphone instead of the simulated room. */
    alsaAudio: boolean;
    /** WAV file each simulated talkback playback is written to; '' = not kept. */
    speakerRecording: string;
    /** File holding the simulated board's boot id; '' = a new boot per agent start. */
    bootIdFile: string;
  };
}

/**
 * The kernel's `struct input_event` starts with a `struct timeval` of two
 * kernel longs, so its size follows the word size of the ABI the process
 * runs under: 32-bit processes get 16-byte records even on a 64-bit kernel
 * (compat layer) and even with a 64-bit time_t userland, because the uapi
 * header switched to __kernel_ulong_t seconds in Linux 5.0 for y2038.
 */
export function defaultEvdevLayout(arch: string = process.arch): '64' | '32' {
  return ['arm64', 'x64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'].includes(arch) ? '64' : '32';
}

export const defaultHalConfig: HalConfig = {
  // Safe on a development machine; the firmware overlay sets 'linux'.
  mode: 'sim',
  sysRoot: '/',
  // LED class naming convention is "<color>:<function>".
  led: { blue: 'blue:status', red: 'red:status' },
  button: {
    source: 'evdev',
    evdevPath: '/dev/input/event0',
    evdevKeyCode: 408,
    evdevLayout: defaultEvdevLayout(),
    gpioChip: 'gpiochip0',
    gpioLine: 0,
    activeLow: true,
  },
  speaker: { alsaDevice: 'default', promptsDir: '/usr/share/camera-agent/prompts' },
  microphone: { alsaDevice: 'default' },
  amplifier: { gpioValuePath: '', activeLow: false, settleMs: 20 },
  power: { rebootCommand: 'systemctl reboot' },
  shutter: { gpioValuePath: '', activeLow: false },
  facts: { netInterface: 'wlan0', firmwareVersionFile: '' },
  sim: {
    buttonFile: '',
    shutterFile: '',
    serial: 'SIM0000001',
    // Locally administered unicast address, so it can never clash with a real NIC.
    mac: '02:00:00:00:00:01',
    firmwareVersion: '0.0.0-sim',
    alsaAudio: false,
    speakerRecording: '',
    bootIdFile: '',
  },
};
