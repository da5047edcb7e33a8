import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Test } from 'tap';

/**
 * A stand-in for systemd's notification socket: an AF_UNIX datagram socket
 * (Node cannot open one, so a few lines of Python do) whose datagrams arrive
 * as parsed field maps with their arrival time.
 */
export interface NotifyMessage {
  fields: Record<string, string>;
  at: number;
}

export interface NotifySocket {
  path: string;
  messages: NotifyMessage[];
  /** Resolves with the first message (already received or future) that has `key`. */
  waitFor(key: string, timeoutMs?: number, after?: number): Promise<NotifyMessage>;
}

const RECEIVER = `
import socket, sys, json, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    d = s.recv(65536)
    print(json.dumps({"data": d.decode("utf-8", "replace")}), flush=True)
`;

export async function notifySocket(t: Test, dir: string): Promise<NotifySocket> {
  const sock = await openNotifySocket(dir);
  t.teardown(() => sock.close());
  return sock;
}

/** The receiver without tap, for benchmarks; close() ends it. */
export async function openNotifySocket(dir: string, name = 'notify.sock'): Promise<NotifySocket & { close(): void }> {
  const path = join(dir, name);
  const child: ChildProcess = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: NotifyMessage[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  let bound: () => void;
  const ready = new Promise<void>((r) => (bound = r));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const line of lines) {
      const rec = JSON.parse(line) as { bound?: boolean; data?: string };
      if (rec.bound) bound();
      if (rec.data === undefined) continue;
      const fields: Record<string, string> = {};
      for (const kv of rec.data.split('\n')) {
        const i = kv.indexOf('=');
        if (i > 0) fields[kv.slice(0, i)] = kv.slice(i + 1);
      }
      messages.push({ fields, at: performance.now() });
      waiters.splice(0).forEach((w) => w());
    }
  });
  await Promise.race([ready, once(child, 'exit').then(() => Promise.reject(new Error('notify receiver died')))]);
  return {
    path,
    messages,
    close: () => void child.kill('SIGKILL'),
    async waitFor(key, timeoutMs = 10_000, after = -Infinity) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const m = messages.find((x) => key in x.fields && x.at > after);
        if (m) return m;
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`no ${key} notification within ${timeoutMs} ms (got ${JSON.stringify(messages.map((x) => x.fields))})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}
