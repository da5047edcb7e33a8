/**
 * The rule every decoded text field shares (SSID, password): no control
 * characters. A NUL makes execFile throw before nmcli runs, and a newline
 * splits nmcli's terse output and keyfile lines (provisioning.md §6.8,
 * §7.1 S21). \p{Cc} is exactly C0 (U+0000–U+001F), DEL and C1
 * (U+0080–U+009F); no real SSID or passphrase uses them.
 */
const CONTROL = /\p{Cc}/u;

/** Offset of the first control character, or -1. */
export function controlCharacterOffset(text: string): number {
  const m = CONTROL.exec(text);
  return m ? m.index : -1;
}
