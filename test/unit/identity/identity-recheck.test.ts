import t from 'tap';
import pino from 'pino';
import { readFile, unlink } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { ManualClock } from '../../../src/core/clock.js';
import { IdentityService } from '../../../src/identity/identity-service.js';
import { factoryPath } from '../../../src/identity/factory-layout.js';
import { tempDir } from '../../helpers/tmp.js';
import { makeCa, makeFactoryUnit, type FactoryUnit } from './factory-fixture.js';

/**
 * A camera without RTC boots with its clock before the certificate's
 * notBefore; the identity must become usable once NTP sets the clock,
 * without a manual restart.
 */
const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;

async function unit(t: Parameters<typeof tempDir>[0]): Promise<{ u: FactoryUnit; validFrom: number }> {
  const work = await tempDir(t, 'identity-recheck-');
  const root = await makeCa(work, 'Acme Factory Root CA');
  const u = await makeFactoryUnit(work, [root]);
  const cert = new X509Certificate(await readFile(factoryPath(u.dir, 'certificate'), 'utf8'));
  return { u, validFrom: Date.parse(cert.validFrom) };
}

/** Lets the recheck's file reads finish after a timer fired. */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((res) => setTimeout(res, 10));
}

t.test('certificate_not_yet_valid at start: rechecked until the clock is set, then onValid fires once', async (t) => {
  const { u, validFrom } = await unit(t);
  const clock = new ManualClock(validFrom - 2 * HOUR);
  let valid = 0;
  const service = new IdentityService({ dir: u.dir, clock, logger, recheckMs: 10_000, onValid: () => valid++ });
  t.teardown(() => service.stop());
  await service.start();
  t.equal(service.check?.ok === false && service.check.error.code, 'certificate_not_yet_valid', 'the start says why');
  t.equal(service.deviceId, null);
  t.equal(clock.pendingTimers(), 1, 'a recheck is scheduled');
  clock.advance(10_000);
  await new Promise((res) => setTimeout(res, 200));
  t.equal(valid, 0, 'still before notBefore: nothing happens');
  clock.jumpWall(2 * HOUR + 60_000);
  clock.advance(10_000);
  await settle(() => valid > 0);
  t.equal(valid, 1, 'onValid fires after the clock step');
  t.equal(service.deviceId, u.identity.deviceId, 'the identity is usable now');
  t.equal(clock.pendingTimers(), 0, 'rechecking stops');
  clock.advance(60_000);
  await new Promise((res) => setTimeout(res, 100));
  t.equal(valid, 1, 'called once');
});

t.test('any other identity failure is not rechecked (it does not heal by itself)', async (t) => {
  const { u, validFrom } = await unit(t);
  await unlink(factoryPath(u.dir, 'privateKey'));
  const clock = new ManualClock(validFrom + HOUR);
  let valid = 0;
  const service = new IdentityService({ dir: u.dir, clock, logger, onValid: () => valid++ });
  await service.start();
  t.equal(service.check?.ok === false && service.check.error.code, 'key_missing');
  t.equal(clock.pendingTimers(), 0, 'no recheck timer');
  await service.stop();
  t.equal(valid, 0);
});

t.test('stop() ends the rechecking', async (t) => {
  const { u, validFrom } = await unit(t);
  const clock = new ManualClock(validFrom - HOUR);
  let valid = 0;
  const service = new IdentityService({ dir: u.dir, clock, logger, onValid: () => valid++ });
  await service.start();
  await service.stop();
  t.equal(clock.pendingTimers(), 0);
  clock.jumpWall(2 * HOUR);
  clock.advance(60_000);
  await new Promise((res) => setTimeout(res, 100));
  t.equal(valid, 0, 'a stopped service does not ask for a restart');
});
