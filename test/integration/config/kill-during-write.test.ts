import t from 'tap';
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeConfigStore } from '../../../src/config/runtime-store.js';
import { tempDir } from '../../helpers/tmp.js';

const writer = fileURLToPath(new URL('../../helpers/config-writer.ts', import.meta.url));

/** Run the writer until it has acknowledged `minAcks` changes, then SIGKILL it at once. */
function runAndKill(systemFile: string, minAcks: number): Promise<{ start: number; lastAck: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, systemFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let start = -1;
    let lastAck = -1;
    let acks = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const [word, num] = line.split(' ');
        if (word === 'start') start = Number(num);
        if (word === 'ack') {
          lastAck = Number(num);
          acks++;
        }
      }
      if (acks >= minAcks) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ start, lastAck });
      else reject(new Error(`writer exited ${code}: ${stderr}`));
    });
  });
}

t.test('a runtime change survives SIGKILL at any point of the write', async (t) => {
  const root = await tempDir(t);
  const data = join(root, 'data');
  const system = join(root, 'system.json');
  await writeFile(system, JSON.stringify({ data: { dir: data }, identity: { dir: join(root, 'factory') } }));
  const store = new RuntimeConfigStore(data);
  // Kill after a varying number of writes so the kill lands at different
  // points of the write path (temp write, fsync, rename, last-good copy).
  const rounds = [1, 7, 3, 12, 5, 2, 9, 4, 15, 6, 1, 11];
  for (const [i, acks] of rounds.entries()) {
    const { lastAck } = await runAndKill(system, acks);
    const loaded = await store.load();
    t.notOk(loaded.recovered, `round ${i}: the file in force was never torn`);
    const ring = (loaded.values as { log: { ringLines: number } }).log.ringLines;
    t.ok(ring === lastAck || ring === lastAck + 1, `round ${i}: acknowledged change ${lastAck} kept (found ${ring})`);
  }
  const names = await readdir(data);
  t.same(names.filter((n) => n.endsWith('.tmp')), [], 'no temp files after the last load');
});
