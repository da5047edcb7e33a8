/**
 * Parsing of libgpiod v1 `gpiomon` default output (gpiod 1.6.3 in Debian 12):
 *
 *   printf("event: %s offset: %u timestamp: [%8ld.%09ld]\n", " RISING EDGE" | "FALLING EDGE", ...)
 *
 * e.g. `event:  RISING EDGE offset: 5 timestamp: [1700000000.123456789]`.
 * The timestamp is the kernel's line-event time (CLOCK_MONOTONIC since
 * Linux 5.7, CLOCK_REALTIME before); only differences are used. Pure.
 *
 * libgpiod v2 (Debian 13) changed both the command line and this format.
 */

export interface GpioEdge {
  rising: boolean;
  offset: number;
  timeMs: number;
}

const LINE = /^event:\s+(RISING|FALLING) EDGE offset:\s*(\d+) timestamp:\s*\[\s*(\d+)\.(\d{1,9})\]\s*$/;

export function parseGpiomonLine(line: string): GpioEdge | null {
  const m = LINE.exec(line);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return null;
  const nanos = Number(m[4].padEnd(9, '0'));
  return { rising: m[1] === 'RISING', offset: Number(m[2]), timeMs: Number(m[3]) * 1000 + nanos / 1e6 };
}

/** gpiomon argv for one line. -b: stdout is a pipe, and without it glibc buffers events for 4 KiB. */
export function gpiomonArgs(chip: string, line: number): string[] {
  return ['-b', chip, String(line)];
}
