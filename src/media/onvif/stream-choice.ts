/**
 * Which profile is the sub-stream and which the main stream. Pure.
 *
 * Cameras list profiles in vendor order (often main first, but not always,
 * and some add a third "mobile" or MJPEG profile), so the choice is by
 * resolution: the smallest picture is the cheapest to decode for motion
 * analysis (ffmpeg decodes every frame even when we keep 5 fps,
 * test-rigs.md §2), the largest is for recording and live view.
 */
import type { StreamProfile } from './onvif-types.js';

export interface StreamChoice {
  main: StreamProfile;
  sub: StreamProfile;
}

/** null when no profile has an RTSP URI. Ties keep the camera's order. */
export function chooseStreams(profiles: readonly StreamProfile[]): StreamChoice | null {
  const usable = profiles.filter((p) => p.rtspUri !== null);
  if (usable.length === 0) return null;
  // Profiles without a known resolution sort as if larger than any known one:
  // never pick an unknown as "lowest".
  const pixels = (p: StreamProfile) => (p.width !== null && p.height !== null ? p.width * p.height : Number.POSITIVE_INFINITY);
  const known = usable.filter((p) => Number.isFinite(pixels(p)));
  const pool = known.length > 0 ? known : usable;
  let sub = pool[0]!;
  let main = pool[0]!;
  for (const p of pool) {
    if (pixels(p) < pixels(sub)) sub = p;
    if (pixels(p) > pixels(main)) main = p;
  }
  return { main, sub };
}
