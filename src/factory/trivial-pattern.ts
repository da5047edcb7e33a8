import { crockfordValue } from './crockford.js';

/**
 * Codes a person could guess or that look like a test value. Matter rejects
 * all-same and sequential setup passcodes (provisioning.md §6.3); we also
 * reject low-variety strings. Limits, for 8 data characters (scaled for
 * longer strings): at least 5 distinct characters, no ascending or descending
 * run of 4 in alphabet order ("0123", "ZYXW"), no character repeated 4 times
 * in a row. Together they reject about 1 % of random draws (measured in the
 * unit test), which costs well under 0.1 bit of the 40.
 */
export function isTrivialPattern(text: string): boolean {
  const minDistinct = Math.max(2, Math.ceil((text.length * 5) / 8));
  if (new Set(text).size < minDistinct) return true;
  let up = 1;
  let down = 1;
  let same = 1;
  for (let i = 1; i < text.length; i++) {
    const step = crockfordValue(text[i]!) - crockfordValue(text[i - 1]!);
    up = step === 1 ? up + 1 : 1;
    down = step === -1 ? down + 1 : 1;
    same = step === 0 ? same + 1 : 1;
    if (up >= 4 || down >= 4 || same >= 4) return true;
  }
  return false;
}
