// Child process for the SIGKILL test: appends audit records as fast as it can
// and prints each sequence number once append() has resolved (acknowledged).
// Usage: append-loop.ts <path> <maxBytes>
import { AuditLog } from '../../../../src/api/audit/audit-log.js';
import type { AuditInput } from '../../../../src/api/audit/audit-entry.js';
import { systemClock } from '../../../../src/core/clock.js';

const [path, maxBytes] = process.argv.slice(2);
if (!path) throw new Error('usage: append-loop.ts <path> <maxBytes>');
// Every security record synced at once (no rate limit): the child exercises write, sync and rotation.
const log = new AuditLog({ path, clock: systemClock, maxBytes: Number(maxBytes ?? 8192), securitySyncMinMs: 0 });
// Timers of the system clock are unref'd; this keeps the loop's process alive until it is killed.
setInterval(() => undefined, 60_000);

const routine: AuditInput = { actor: { type: 'token', tokenId: 'tok_loop', role: 'technician' }, action: 'snapshot_view', source: '192.168.1.42', result: { status: 'ok' }, details: { bytes: 48213 } };
const security: AuditInput = { actor: { type: 'anonymous' }, action: 'login_failed', source: '192.168.1.77', result: { status: 'failed', code: 'auth_failed' }, details: { attempts: 3 } };

await log.start();
for (let i = 0; ; i++) {
  // Several appends in flight at once, as concurrent API requests would make them.
  const batch = Array.from({ length: 8 }, (_, j) => log.append((i + j) % 5 === 0 ? security : routine).then((e) => process.stdout.write(`${e.seq}\n`)));
  await Promise.all(batch);
}
