/**
 * PRV1 `Z:`: an IANA time zone name. Validated the way device.timezone is
 * (src/config/formats.ts): the runtime's ICU data decides, so a name the
 * clock code could not use is refused here rather than later. Offsets such
 * as "+01:00" are not IANA names and are refused by Intl on Node 20.
 */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
