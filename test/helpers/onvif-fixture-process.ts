/**
 * Starts onvif-fixture-main.ts inside a test namespace and waits until it
 * listens. Its stdin stays open as a lifeline: when the test process dies,
 * the pipe closes and the fixture exits by itself.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestNamespace } from './netns.js';
import type { FixtureCall, OnvifFixtureOptions } from './onvif-fixture.js';

const MAIN = fileURLToPath(new URL('./onvif-fixture-main.ts', import.meta.url));

export interface FixtureProcess {
  child: ChildProcess;
  port: number;
  xaddr: string;
  calls: FixtureCall[];
  stop(): Promise<void>;
}

export async function startFixtureIn(ns: TestNamespace, options: OnvifFixtureOptions, timeoutMs = 10_000): Promise<FixtureProcess> {
  const child = ns.spawn(process.execPath, ['--import', 'tsx', MAIN, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
  const calls: FixtureCall[] = [];
  let closed = false;
  child.once('close', () => void (closed = true));
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ port: number; xaddr: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fixture not ready within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture exited (${code}) before ready: ${stderr}`));
    });
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; port: number; xaddr: string; call?: FixtureCall };
      if (msg.call) calls.push(msg.call);
      else if (msg.ready) {
        clearTimeout(timer);
        resolve(msg);
      }
    });
  });
  return {
    child,
    port: ready.port,
    xaddr: ready.xaddr,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        // 'close' (all stdio ended), not 'exit': the last call lines are still in the pipe at exit.
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
