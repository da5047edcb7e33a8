/**
 * Can the radio keep the AP up while it joins the user's network?
 * provisioning.md §3.1/§6.5: only when `iw list` reports an interface
 * combination with a station (managed) and an AP at the same time; the AP
 * then runs on a virtual interface (`iw dev wlan0 interface add ap0 type
 * __ap`) and usually has to share the station's channel. Otherwise the
 * session uses the single-radio flow (drop the AP, join, restore).
 */
import { runTool } from './soft-ap-process.js';

/**
 * Parses `iw list` (iw 5.x/6.x "valid interface combinations" blocks):
 *
 *     valid interface combinations:
 *          * #{ managed } <= 1, #{ AP, P2P-client, P2P-GO } <= 1,
 *            total <= 2, #channels <= 1
 *
 * True when some combination allows a managed and an AP interface at
 * once: total ≥ 2 and either separate groups for them, or one group
 * holding both with a limit ≥ 2. Pure.
 */
export function apStaConcurrent(iwList: string): boolean {
  const start = iwList.indexOf('valid interface combinations:');
  if (start < 0) return false;
  // Each combination starts with '*'; it ends at the next '*' or at a line that is not indented further.
  const section = iwList.slice(start).split('\n').slice(1);
  const combos: string[] = [];
  for (const line of section) {
    const trimmed = line.trim();
    if (trimmed.startsWith('* ')) combos.push(trimmed.slice(2));
    else if (combos.length > 0 && /^total|^#|^\s*=>/.test(trimmed)) combos[combos.length - 1] += ` ${trimmed}`;
    else if (combos.length > 0 || trimmed !== '') break;
  }
  return combos.some((combo) => {
    const total = Number(/total <= (\d+)/.exec(combo)?.[1] ?? 0);
    if (total < 2) return false;
    const groups = [...combo.matchAll(/#\{\s*([^}]*)\}\s*<=\s*(\d+)/g)].map((m) => ({
      types: m[1]!.split(',').map((s) => s.trim()),
      max: Number(m[2]),
    }));
    const managed = groups.filter((g) => g.types.includes('managed'));
    const ap = groups.filter((g) => g.types.includes('AP'));
    if (managed.some((g) => g.types.includes('AP') && g.max >= 2)) return true;
    return managed.some((m) => ap.some((a) => a !== m && a.max >= 1 && m.max >= 1));
  });
}

/** `iw list` on this machine: true/false, or null when iw is missing or failed (treat as single radio). */
export async function detectApStaConcurrency(env: NodeJS.ProcessEnv = process.env): Promise<boolean | null> {
  const result = await runTool('iw', ['list'], { env, timeoutMs: 5_000 });
  if (result.exitCode !== 0) return null;
  return apStaConcurrent(result.stdout);
}
