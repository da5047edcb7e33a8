/**
 * The units as systemd reads them: `systemd-analyze verify` (syntax, known
 * settings, the executable exists), the agent's `systemd-analyze security`
 * exposure score (it may only get better: the threshold sits at today's
 * value), and the settings the agent's code relies on.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
const SYSTEMD = fileURLToPath(new URL('../../../systemd/', import.meta.url));
const UNITS = ['camera-agent.service', 'camera-agent-selftest.service'];
/** Measured 2.6 ("OK") after hardening; 6.6 before. Lower is better. */
const MAX_EXPOSURE = 2.6;

/** Settings of a unit file: key → every value it is given (in order). */
function settings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

t.test('systemd-analyze verify accepts both units', async (t) => {
  // Units are verified in a folder of their own: verify loads every unit it is given plus their dependencies.
  const dir = await tempDir(t, 'camera-agent-units-');
  for (const unit of UNITS) await copyFile(join(SYSTEMD, unit), join(dir, unit));
  const r = await run('systemd-analyze', ['verify', ...UNITS.map((u) => join(dir, u))], { cwd: dir }).then(
    (x) => ({ code: 0, out: `${x.stdout}${x.stderr}` }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
  // Lines about the camera-agent.js path are expected on a build machine: only the node binary must exist.
  const problems = r.out.split('\n').filter((l) => l.trim() && !l.includes('/usr/lib/camera-agent/'));
  t.same(problems, [], 'no warnings');
  t.equal(r.code, 0);
});

t.test('the agent unit\'s exposure score is recorded and never gets worse', async (t) => {
  const r = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', join(SYSTEMD, 'camera-agent.service')]).catch(
    (e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }),
  );
  const m = /Overall exposure level for camera-agent\.service: ([\d.]+) (\w+)/.exec(r.stdout);
  t.ok(m, 'the score is printed');
  const score = Number(m?.[1]);
  t.comment(`systemd-analyze security: ${score} ${m?.[2]}`);
  t.ok(score <= MAX_EXPOSURE, `exposure ${score} ≤ ${MAX_EXPOSURE}`);
});

t.test('the settings the agent relies on', async (t) => {
  const s = settings(await readFile(join(SYSTEMD, 'camera-agent.service'), 'utf8'));
  const one = (k: string): string | undefined => s.get(k)?.at(-1);
  t.equal(one('Type'), 'notify', 'READY=1 comes from src/system/sd-notify.ts');
  t.equal(one('NotifyAccess'), 'all', 'systemd-notify runs as a child of node');
  t.match(one('WatchdogSec'), /^\d+s$/, 'a watchdog: src/system/watchdog.ts pings at half of WATCHDOG_USEC');
  t.notOk(['root', '0', undefined].includes(one('User')), 'never root');
  t.equal(one('NoNewPrivileges'), 'yes');
  t.same(one('AmbientCapabilities')?.split(' ').sort(), ['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']);
  t.same(one('CapabilityBoundingSet')?.split(' ').sort(), ['CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']);
  t.equal(one('ProtectSystem'), 'strict');
  t.ok(s.get('ReadWritePaths')?.includes('/var/lib/camera-agent'), 'the data partition is writable');
  t.equal(one('RuntimeDirectory'), 'camera-agent', 'the tmpfs for passwd-files (src/network/wifi-manager-nmcli)');
  t.equal(one('Restart'), 'on-failure');
  t.equal(one('StartLimitAction'), 'reboot', 'a crash loop reboots the camera');
  t.match(one('MemoryMax'), /^\d+M$/);
  t.notOk(s.has('MemoryDenyWriteExecute'), 'V8 needs W+X pages');
  t.notOk(s.get('ProcSubset')?.includes('pid'), 'the OTA reads /proc/sys/kernel/random/boot_id');
  const selftest = settings(await readFile(join(SYSTEMD, 'camera-agent-selftest.service'), 'utf8'));
  t.equal(selftest.get('ConditionPathExists')?.[0], '/factory/.selftest-pending', 'runs only while the factory asks for it');
  t.equal(selftest.get('CapabilityBoundingSet')?.[0], '', 'the self-test needs no capability');
});
