import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../scripts/fleet-sim', import.meta.url));

// A smoke run so the simulation cannot rot: 20 real links, one broker crash per strategy. The
// figures themselves are for a human to read (scripts/fleet-sim with 500 devices), not asserted.
t.test('scripts/fleet-sim runs 20 links through a broker restart with jitter and with a fixed period', async (t) => {
  const { stdout } = await run('bash', [SCRIPT, '--devices', '20', '--restart-after', '1', '--down', '1'], { timeout: 60_000 });
  t.match(stdout, /\[jitter \(link backoff\)\] starting 20 links/);
  t.match(stdout, /\[fixed 1000 ms\] starting 20 links/);
  t.equal(stdout.match(/all back online/g)?.length, 2, 'both fleets came back');
  t.match(stdout, /\[jitter \(link backoff\)\] peak \d+ CONNECTs\/s reaching the broker.* 20 CONNECTs, 20 back online/);
  t.match(stdout, /\[fixed 1000 ms\] peak \d+ CONNECTs\/s reaching the broker.* 20 CONNECTs, 20 back online/);
  t.match(stdout, /peak CONNECTs\/s reaching the broker \(by due time\): jitter \d+, fixed \d+: ratio [\d.]+×/);
  t.match(stdout, /CONNECTs reaching the broker, by due time per 100 ms/);
});
