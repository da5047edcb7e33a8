import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { runInstaller, runMarkGood } from '../../../src/ota/installer.js';
import { captureLogger } from '../hal/fixtures/hal-test-kit.js';
import { fakeBoardState, fakeInstallerCommands, simulateReboot, testFirmwareImage, writeTestFirmwareImage } from '../../helpers/ota-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

async function board(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'ota-installer-');
  const image = join(dir, 'fw-1.1.0.img');
  await writeTestFirmwareImage(image, '1.1.0', 64 * 1024);
  await fakeBoardState(dir, '1.0.0');
  return { dir, image, ...fakeInstallerCommands(dir), ...captureLogger() };
}

t.test('a good image installs: progress lines streamed, percentages parsed, pending version written', async (t) => {
  const b = await board(t);
  const lines: string[] = [];
  const percents: number[] = [];
  const r = await runInstaller({
    argvTemplate: b.command,
    image: b.image,
    timeoutMs: 30_000,
    logger: b.logger,
    clock: systemClock,
    onOutput: (l) => lines.push(l),
    onPercent: (p) => percents.push(p),
  });
  t.same(r, { ok: true });
  t.same(percents, [0, 20, 50, 90, 100]);
  t.equal(lines[0], 'installing: 0% Installing');
  t.equal(lines.at(-1), `Installing \`${b.image}' succeeded`);
  t.equal(await readFile(join(b.dir, 'pending-version'), 'utf8'), '1.1.0\n');
  t.equal(await readFile(join(b.dir, 'calls'), 'utf8'), `install ${b.image}\n`, 'the image path reached the installer as one argument');
  t.ok(b.lines.some((l) => l.msg === 'installer succeeded'));
});

t.test('the simulated reboot runs the new version; mark-good confirms it', async (t) => {
  const b = await board(t);
  t.same(await runInstaller({ argvTemplate: b.command, image: b.image, timeoutMs: 30_000, logger: b.logger, clock: systemClock }), { ok: true });
  await simulateReboot(b.dir);
  t.equal((await readFile(join(b.dir, 'running-version'), 'utf8')).trim(), '1.1.0');
  t.notOk(existsSync(join(b.dir, 'pending-version')));
  t.same(await runMarkGood({ argvTemplate: b.markGoodCommand, timeoutMs: 10_000, logger: b.logger, clock: systemClock }), { ok: true });
  t.equal(await readFile(join(b.dir, 'marked-good'), 'utf8'), '1.1.0\n');

  await simulateReboot(b.dir, { rollback: true });
  t.notOk(existsSync(join(b.dir, 'marked-good')), 'a new boot starts unconfirmed');
  t.equal((await readFile(join(b.dir, 'running-version'), 'utf8')).trim(), '1.1.0', 'nothing pending: the version stays');
});

t.test('a rollback keeps the old version running', async (t) => {
  const b = await board(t);
  t.same(await runInstaller({ argvTemplate: b.command, image: b.image, timeoutMs: 30_000, logger: b.logger, clock: systemClock }), { ok: true });
  await simulateReboot(b.dir, { rollback: true });
  t.equal((await readFile(join(b.dir, 'running-version'), 'utf8')).trim(), '1.0.0');
  t.notOk(existsSync(join(b.dir, 'pending-version')));
});

t.test('a failing installer yields installer_failed with its exit code and the last lines of output', async (t) => {
  const b = await board(t);
  await writeFile(join(b.dir, 'fail-install'), '');
  const r = await runInstaller({ argvTemplate: b.command, image: b.image, timeoutMs: 30_000, logger: b.logger, clock: systemClock });
  t.match(r, { ok: false, code: 'installer_failed', exitCode: 1, message: 'installer exited with code 1' });
  if (r.ok) return;
  t.ok(r.tail.includes('LastError: Failed to check bundle: fake installer told to fail'), 'stderr is in the tail');
  t.ok(r.tail.includes('installing: 100% Installing failed.'), 'stdout too (the two pipes interleave in no fixed order)');
  t.notOk(existsSync(join(b.dir, 'pending-version')));
  t.ok(b.lines.some((l) => l.msg === 'installer exited with code 1' && Array.isArray(l.tail)), 'logged with the tail');
});

t.test('something that is not a test firmware image is refused by the fake installer', async (t) => {
  const b = await board(t);
  const junk = join(b.dir, 'junk.img');
  await writeFile(junk, 'MZ\x90\x00not firmware\n');
  const r = await runInstaller({ argvTemplate: b.command, image: junk, timeoutMs: 30_000, logger: b.logger, clock: systemClock });
  t.match(r, { ok: false, code: 'installer_failed', tail: [`fake-installer: ${junk}: not a test firmware image`] });
});

t.test('the tail keeps only the last 20 lines', async (t) => {
  const b = await board(t);
  const r = await runInstaller({ argvTemplate: 'seq 1 100 {image}', image: '', timeoutMs: 30_000, logger: b.logger, clock: systemClock });
  // `seq 1 100 ''` fails: its message is the whole tail.
  t.match(r, { ok: false, code: 'installer_failed' });
  const many = await runInstaller({ argvTemplate: 'sh -c {image}', image: 'seq 1 100; exit 3', timeoutMs: 30_000, logger: b.logger, clock: systemClock });
  t.match(many, { ok: false, code: 'installer_failed', exitCode: 3 });
  if (!many.ok) t.same(many.tail, Array.from({ length: 20 }, (_, i) => String(81 + i)));
});

t.test('an installer past its timeout is killed, with its whole process group, and reported installer_timeout', async (t) => {
  const b = await board(t);
  await writeFile(join(b.dir, 'install-sleep'), '30\n');
  const started = Date.now();
  const r = await runInstaller({ argvTemplate: b.command, image: b.image, timeoutMs: 500, logger: b.logger, clock: systemClock });
  const ms = Date.now() - started;
  t.match(r, { ok: false, code: 'installer_timeout', exitCode: null, message: 'installer did not finish in time and was killed' });
  if (!r.ok) t.equal(r.tail.at(-1), 'installing: 50% Copying image to rootfs.1', 'the output up to the kill');
  t.ok(ms < 5000, `SIGTERM ended it at once (took ${ms} ms), the sleep included: its pipe did not hold us`);
  t.notOk(existsSync(join(b.dir, 'pending-version')));
});

t.test('an installer that ignores SIGTERM is SIGKILLed after the grace period', async (t) => {
  const b = await board(t);
  await writeFile(join(b.dir, 'install-sleep'), '30\n');
  process.env.FAKE_INSTALLER_IGNORE_TERM = '1';
  t.teardown(() => void delete process.env.FAKE_INSTALLER_IGNORE_TERM);
  const started = Date.now();
  const r = await runInstaller({
    argvTemplate: b.command,
    image: b.image,
    timeoutMs: 300,
    killGraceMs: 700,
    logger: b.logger,
    clock: systemClock,
  });
  const ms = Date.now() - started;
  t.match(r, { ok: false, code: 'installer_timeout', exitCode: null });
  t.ok(ms >= 1000 && ms < 5000, `ended by SIGKILL after timeout + grace (${ms} ms)`);
  t.ok(b.lines.some((l) => l.msg === 'installer did not finish in time and was killed' && l.signal === 'SIGKILL'));
});

t.test('aborting (the agent stopping) kills the installer at once', async (t) => {
  const b = await board(t);
  await writeFile(join(b.dir, 'install-sleep'), '30\n');
  const ac = new AbortController();
  const started = Date.now();
  const running = runInstaller({
    argvTemplate: b.command,
    image: b.image,
    timeoutMs: 60_000,
    logger: b.logger,
    clock: systemClock,
    signal: ac.signal,
    onOutput: (l) => l.startsWith('installing: 50%') && ac.abort(),
  });
  t.match(await running, { ok: false, code: 'installer_failed', message: 'installer was stopped (the agent is stopping)' });
  t.ok(Date.now() - started < 5000);
  t.notOk(existsSync(join(b.dir, 'pending-version')));
  t.match(await runInstaller({ argvTemplate: b.command, image: b.image, timeoutMs: 60_000, logger: b.logger, clock: systemClock, signal: ac.signal }), {
    ok: false,
    code: 'installer_failed',
  }, 'already aborted: not started');
});

t.test('test firmware images are deterministic', async (t) => {
  const a = testFirmwareImage('2.0.0', 5000);
  t.equal(a.length, 5000);
  t.ok(a.equals(testFirmwareImage('2.0.0', 5000)));
  t.notOk(a.equals(testFirmwareImage('2.0.1', 5000)));
  t.equal(a.subarray(0, 33).toString(), 'CAMERA-AGENT-TEST-FIRMWARE 2.0.0\n');
  t.throws(() => testFirmwareImage('2.0.0', 10));
  t.throws(() => testFirmwareImage('1.0; rm -rf /', 100));
});

t.test('a missing installer program is installer_missing', async (t) => {
  const b = await board(t);
  const r = await runInstaller({ argvTemplate: '/nonexistent/rauc install {image}', image: b.image, timeoutMs: 5000, logger: b.logger, clock: systemClock });
  t.match(r, { ok: false, code: 'installer_missing', exitCode: null, message: 'installer could not be started: ENOENT', tail: [] });
  const empty = await runInstaller({ argvTemplate: '  ', image: b.image, timeoutMs: 5000, logger: b.logger, clock: systemClock });
  t.match(empty, { ok: false, code: 'installer_missing' });
  const notExecutable = await runInstaller({ argvTemplate: `${b.image} {image}`, image: b.image, timeoutMs: 5000, logger: b.logger, clock: systemClock });
  t.match(notExecutable, { ok: false, code: 'installer_missing', message: 'installer could not be started: EACCES' });
});

t.test('shell metacharacters in the template or the image path stay literal arguments', async (t) => {
  const b = await board(t);
  const sentinel = join(b.dir, 'INJ');
  const lines: string[] = [];
  // printf prints each argument on its own line: what the program received, exactly.
  const r = await runInstaller({
    argvTemplate: `printf %s\\n {image};touch${'$'}{IFS}${sentinel} $(touch ${sentinel}) \`touch ${sentinel}\` |&&>${sentinel}`,
    image: `/spool/a'b"c;touch ${sentinel}`,
    timeoutMs: 5000,
    logger: b.logger,
    clock: systemClock,
    onOutput: (l) => lines.push(l),
  });
  t.same(r, { ok: true });
  t.same(lines, [
    `/spool/a'b"c;touch ${sentinel};touch\${IFS}${sentinel}`,
    '$(touch',
    `${sentinel})`,
    '`touch',
    `${sentinel}\``,
    `|&&>${sentinel}`,
  ]);
  t.notOk(existsSync(sentinel), 'nothing was run by a shell');
});

t.test('mark-good failures are mark_good_failed, whatever the cause', async (t) => {
  const b = await board(t);
  await writeFile(join(b.dir, 'fail-mark-good'), '');
  const failed = await runMarkGood({ argvTemplate: b.markGoodCommand, timeoutMs: 10_000, logger: b.logger, clock: systemClock });
  t.match(failed, { ok: false, code: 'mark_good_failed', exitCode: 1, tail: ['fake-installer: failed to mark slot good: fake installer told to fail'] });
  t.notOk(existsSync(join(b.dir, 'marked-good')));
  t.match(await runMarkGood({ argvTemplate: '/nonexistent/rauc status mark-good', timeoutMs: 10_000, logger: b.logger, clock: systemClock }), {
    ok: false,
    code: 'mark_good_failed',
    message: 'mark-good could not be started: ENOENT',
  });
  t.match(await runMarkGood({ argvTemplate: 'sleep 30', timeoutMs: 200, logger: b.logger, clock: systemClock }), {
    ok: false,
    code: 'mark_good_failed',
    message: 'mark-good did not finish in time and was killed',
  });
});
