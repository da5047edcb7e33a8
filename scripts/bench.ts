// `npm run bench [-- NAME…]`: runs the benchmarks and prints their figures.
// Numbers live here, not in tests, so the test suite stays deterministic.
import { benchStartup } from './bench/startup.js';
import { benchFactory } from './bench/factory.js';
import { benchCloud } from './bench/cloud.js';
import { benchMotion } from './bench/motion.js';
import { benchSnapshot } from './bench/snapshot.js';
import { benchQr } from './bench/qr.js';
import { benchProvisioning } from './bench/provisioning.js';
import { benchProvSession } from './bench/prov-session.js';
import { benchLocalApi } from './bench/local-api.js';
import { benchLocalApiAgent } from './bench/local-api-agent.js';
import { benchAlarm } from './bench/alarm.js';
import { benchTalkback } from './bench/talkback.js';
import { benchOta } from './bench/ota.js';

const benches: Record<string, () => Promise<void>> = {
  startup: benchStartup,
  factory: benchFactory,
  cloud: benchCloud,
  motion: benchMotion,
  snapshot: benchSnapshot,
  qr: benchQr,
  provisioning: benchProvisioning,
  'prov-session': benchProvSession,
  'local-api': benchLocalApi,
  'local-api-agent': benchLocalApiAgent,
  alarm: benchAlarm,
  talkback: benchTalkback,
  ota: benchOta,
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in benches)) {
    process.stderr.write(`unknown benchmark ${name}; have: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
}
process.stdout.write(`camera-agent benchmarks on ${process.arch}, Node ${process.version}\n`);
for (const [name, run] of Object.entries(benches)) {
  if (wanted.length && !wanted.includes(name)) continue;
  process.stdout.write(`\n== ${name}\n`);
  await run();
}
