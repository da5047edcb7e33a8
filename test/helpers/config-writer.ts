// Child process for the kill-during-write test: applies runtime changes in a
// tight loop and acknowledges each one on stdout once change() resolved.
import { loadConfig } from '../../src/config/load.js';
import { LiveConfig } from '../../src/config/live-config.js';
import { EventBus } from '../../src/core/bus.js';

const [systemFile] = process.argv.slice(2);
const loaded = await loadConfig({ systemFile: systemFile!, env: {} });
const live = new LiveConfig(loaded, loaded.runtimeStore, new EventBus());
let n = Number((loaded.runtime.values as { log?: { ringLines?: number } }).log?.ringLines ?? 100);
process.stdout.write(`start ${n}\n`);
for (;;) {
  n += 1;
  const r = await live.change({ log: { ringLines: n }, device: { timezone: n % 2 ? 'Europe/Berlin' : 'Asia/Tokyo' } }, 'cli');
  if (r.rejected.length) throw new Error(JSON.stringify(r.rejected));
  process.stdout.write(`ack ${n}\n`);
}
