import type { FastifyReply, FastifyRequest } from 'fastify';
import { maskIp, maskMac, maskSsid } from '../../log/mask.js';
import { parseRegions } from '../../media/motion/regions.js';
import { buildCredentials } from '../../provisioning/payload/credentials.js';
import type { WifiAuth } from '../../provisioning/provisioning-payload.js';
import type { ApiActions, DeviceInfo } from './api-actions.js';
import type { ApiAuditAction, ApiAuditEvent, ApiPrincipal } from './access.js';
import { sendError } from './api-error.js';
import type { EventStreams } from './event-stream.js';
import type { RouteId } from './route-table.js';
import { originAllowed, type PendingUpgrade, type TalkSockets } from './talk-socket.js';

/**
 * One handler per route of route-table.ts. Each only translates: read the
 * (already schema-checked) request, call one action, write the answer and
 * the audit record. Refusals an action throws (ApiActionError) are turned
 * into the error envelope by the server's error handler, and audited here
 * as `failed` on the way through.
 */
export interface HandlerContext {
  req: FastifyRequest;
  reply: FastifyReply;
  /** null only on the public route. */
  principal: ApiPrincipal | null;
  actions: ApiActions;
  streams: EventStreams;
  openapi: () => unknown;
  /** Records `action` for this request's principal and source. */
  audit(action: ApiAuditAction, result: ApiAuditEvent['result'], details?: Record<string, unknown>): void;
  /** Snapshot views are audited at most once a minute per token (the console refreshes every second). */
  shouldAuditSnapshot(): boolean;
  /** The raw socket of an upgrade request (WebSocket routes); null for a plain request. */
  upgrade: PendingUpgrade | null;
  talk: TalkSockets;
}

export type Handler = (ctx: HandlerContext) => Promise<unknown>;

const DEFAULT_LOG_LINES = 500;
const DEFAULT_AUDIT_LIMIT = 200;

/** Runs `fn`; on a throw, audits `action` as failed with the error's code, and rethrows. */
async function audited<T>(ctx: HandlerContext, action: ApiAuditAction, fn: () => Promise<T>, details?: Record<string, unknown>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'internal_error';
    ctx.audit(action, { status: 'failed', code }, details);
    throw err;
  }
}

function body(ctx: HandlerContext): Record<string, unknown> {
  const b = ctx.req.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function query(ctx: HandlerContext): Record<string, string> {
  return (ctx.req.query ?? {}) as Record<string, string>;
}

/** What a viewer sees of the device: enough to recognise it, nothing that identifies the home network. */
export function maskDevice(d: DeviceInfo): DeviceInfo {
  return {
    identity: { ...d.identity, serial: d.identity.serial.length > 4 ? `…${d.identity.serial.slice(-4)}` : '…', mac: maskMac(d.identity.mac) },
    versions: { ...d.versions },
    network: {
      ssid: d.network.ssid === null ? null : maskSsid(d.network.ssid),
      ip: d.network.ip === null ? null : maskIp(d.network.ip),
      mac: maskMac(d.network.mac),
      signal: d.network.signal,
      gateway: d.network.gateway === null ? null : maskIp(d.network.gateway),
    },
    lifecycle: d.lifecycle,
  };
}

/** A number that JSON cannot represent (1e309 → Infinity), anywhere in a value; nesting past 32 counts as bad too. */
function hasNonFinite(value: unknown, depth: number): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value === null || typeof value !== 'object') return false;
  if (depth > 32) return true;
  return Object.values(value as object).some((v) => hasNonFinite(v, depth + 1));
}

function wifiField(code: string): string {
  if (code.startsWith('ssid')) return 'ssid';
  if (code.startsWith('password') || code.startsWith('psk')) return 'password';
  return 'auth';
}

export const HANDLERS: Readonly<Record<RouteId, Handler>> = {
  async ping() {
    return { ok: true };
  },

  async login(ctx) {
    const req = body(ctx) as { code: string; subject?: string };
    try {
      const r = await ctx.actions.login(req, ctx.req.socket.remoteAddress ?? '');
      ctx.audit('login', { status: 'ok' }, { via: 'button' });
      return r;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      ctx.audit('login_failed', { status: 'denied', code: typeof code === 'string' ? code : 'internal_error' }, { via: 'button' });
      throw err;
    }
  },

  async openapi(ctx) {
    return ctx.openapi();
  },

  async health(ctx) {
    return ctx.actions.health();
  },

  async device(ctx) {
    const d = await ctx.actions.device();
    const masked = ctx.principal?.role !== 'technician' && ctx.principal?.role !== 'admin';
    return { ...(masked ? maskDevice(d) : d), masked };
  },

  async configGet(ctx) {
    return ctx.actions.config();
  },

  async configPatch(ctx) {
    const changes = body(ctx);
    const keys = Object.keys(changes);
    // JSON has no Infinity, but 1e309 parses to it; no config value can be one.
    const notFinite = keys.filter((k) => hasNonFinite(changes[k], 0));
    if (notFinite.length) {
      return sendError(ctx.reply, 400, 'invalid_request', 'request does not match the schema', {
        fields: notFinite.map((field) => ({ field, code: 'not_finite', message: 'numbers must be finite and values nested at most 32 deep' })),
      });
    }
    const r = await audited(ctx, 'config_change', () => ctx.actions.patchConfig(changes), { keys });
    if (r.rejected.length) {
      ctx.audit('config_change', { status: 'failed', code: 'config_rejected' }, { keys, rejected: r.rejected.map((f) => f.field) });
      return sendError(ctx.reply, 400, 'config_rejected', 'config change refused; nothing was written', { fields: r.rejected });
    }
    ctx.audit('config_change', { status: 'ok' }, { keys: [...r.applied, ...r.restartRequired], restartRequired: r.restartRequired.length > 0 });
    return { applied: r.applied, restartRequired: r.restartRequired, rejected: [] };
  },

  async wifiScan(ctx) {
    return ctx.actions.wifiScan();
  },

  async wifiPut(ctx) {
    const b = body(ctx) as { ssid: string; auth: WifiAuth; password?: string | null; hidden?: boolean };
    const creds = buildCredentials({ ssid: b.ssid, auth: b.auth, password: b.password ?? null, hidden: b.hidden ?? false });
    if (!creds.ok) {
      ctx.audit('wifi_change', { status: 'failed', code: creds.error.code });
      return sendError(ctx.reply, 400, 'invalid_request', 'Wi-Fi credentials refused', {
        fields: [{ field: wifiField(creds.error.code), code: creds.error.code, message: creds.error.message }],
      });
    }
    await audited(ctx, 'wifi_change', () => ctx.actions.setWifi(creds.value), { ssid: b.ssid });
    ctx.audit('wifi_change', { status: 'ok' }, { ssid: b.ssid });
    return ctx.reply.code(202).send({ accepted: true });
  },

  async snapshot(ctx) {
    const jpeg = await ctx.actions.snapshot();
    if (ctx.shouldAuditSnapshot()) ctx.audit('snapshot_view', { status: 'ok' });
    return ctx.reply.type('image/jpeg').header('cache-control', 'no-store').send(jpeg);
  },

  async zonesGet(ctx) {
    return { zones: await ctx.actions.motionZones() };
  },

  async zonesPut(ctx) {
    const parsed = parseRegions(body(ctx).zones, 'zone');
    if (!parsed.ok) {
      ctx.audit('motion_zones_change', { status: 'failed', code: 'invalid_zones' });
      return sendError(ctx.reply, 400, 'invalid_request', 'zones refused', { fields: [{ field: 'zones', code: 'invalid_zones', message: parsed.message }] });
    }
    await audited(ctx, 'motion_zones_change', () => ctx.actions.setMotionZones(parsed.regions));
    ctx.audit('motion_zones_change', { status: 'ok' }, { zones: parsed.regions.length });
    return { applied: ['motion.zones'], restartRequired: [], rejected: [] };
  },

  async identify(ctx) {
    const seconds = (body(ctx).seconds as number | undefined) ?? 10;
    await audited(ctx, 'identify', () => ctx.actions.identify(seconds));
    ctx.audit('identify', { status: 'ok' }, { durationMs: seconds * 1000 });
    return ctx.reply.code(202).send({ accepted: true });
  },

  async logs(ctx) {
    const q = query(ctx);
    if (q.follow === '1') {
      const started = ctx.streams.start(ctx.reply.raw, (stream) => ctx.actions.followLogs((line) => stream.send('log', line)));
      if (!started) return sendError(ctx.reply, 429, 'too_many_streams', 'all event-stream slots are in use', { retryAfterMs: 5000 });
      ctx.audit('log_download', { status: 'ok' }, { follow: true });
      return ctx.reply.hijack();
    }
    const lines = await ctx.actions.logs({ lines: q.lines ? Number(q.lines) : DEFAULT_LOG_LINES });
    ctx.audit('log_download', { status: 'ok' }, { lines: lines.length, follow: false });
    return { lines };
  },

  async events(ctx) {
    const started = ctx.streams.start(ctx.reply.raw, (stream) => ctx.actions.subscribeEvents((e) => stream.send(e.type, JSON.stringify(e.data))));
    if (!started) return sendError(ctx.reply, 429, 'too_many_streams', 'all event-stream slots are in use', { retryAfterMs: 5000 });
    return ctx.reply.hijack();
  },

  async reboot(ctx) {
    const r = await audited(ctx, 'reboot', () => ctx.actions.reboot());
    ctx.audit('reboot', { status: 'ok' }, { delayMs: r.delayMs });
    return ctx.reply.code(202).send({ accepted: true, delayMs: r.delayMs });
  },

  async provisioningReset(ctx) {
    const r = await audited(ctx, 'reset_provisioning', () => ctx.actions.resetProvisioning());
    ctx.audit('reset_provisioning', { status: 'ok' }, { delayMs: r.delayMs });
    return ctx.reply.code(202).send({ accepted: true, delayMs: r.delayMs });
  },

  async factoryReset(ctx) {
    const r = await audited(ctx, 'factory_reset', () => ctx.actions.factoryReset());
    ctx.audit('factory_reset', { status: 'ok' }, { delayMs: r.delayMs });
    return ctx.reply.code(202).send({ accepted: true, delayMs: r.delayMs });
  },

  async selftest(ctx) {
    const r = await audited(ctx, 'selftest', () => ctx.actions.selftest());
    ctx.audit('selftest', r.ok ? { status: 'ok' } : { status: 'failed', code: 'selftest_failed' }, { failedChecks: r.checks.filter((c) => !c.ok).map((c) => c.name) });
    return r;
  },

  async testTone(ctx) {
    const b = body(ctx);
    const tone = { frequencyHz: (b.frequencyHz as number | undefined) ?? 1000, durationMs: (b.durationMs as number | undefined) ?? 1000 };
    await audited(ctx, 'talkback_start', () => ctx.actions.testTone(tone), { via: 'test_tone' });
    ctx.audit('talkback_start', { status: 'ok' }, { via: 'test_tone', durationMs: tone.durationMs });
    return ctx.reply.code(202).send({ accepted: true });
  },

  async talkbackWs(ctx) {
    if (!ctx.upgrade) {
      void ctx.reply.header('upgrade', 'websocket').header('connection', 'Upgrade');
      return sendError(ctx.reply, 426, 'upgrade_required', 'this route is a WebSocket');
    }
    const via = 'local_ws';
    if (!originAllowed(ctx.req.headers.origin, ctx.req.headers.host)) {
      ctx.audit('talkback_start', { status: 'denied', code: 'origin_forbidden' }, { via });
      return sendError(ctx.reply, 403, 'origin_forbidden', 'WebSocket from another origin refused');
    }
    if (!ctx.talk.available) {
      ctx.audit('talkback_start', { status: 'failed', code: 'talkback_unavailable' }, { via });
      return sendError(ctx.reply, 409, 'talkback_unavailable', 'talkback is not available on this camera');
    }
    const q = query(ctx);
    ctx.reply.hijack();
    ctx.talk.accept(ctx.req.raw, ctx.upgrade, {
      codec: { name: q.codec!, ...(q.sampleRate ? { sampleRate: Number(q.sampleRate) } : {}) },
      principal: ctx.principal?.tokenId ?? '',
      source: ctx.req.socket.remoteAddress ?? '',
      audit: ctx.audit,
    });
    return undefined;
  },

  async audit(ctx) {
    const q = query(ctx);
    const entries = await ctx.actions.audit({ limit: q.limit ? Number(q.limit) : DEFAULT_AUDIT_LIMIT });
    ctx.audit('audit_view', { status: 'ok' }, { lines: entries.length });
    return { entries };
  },
};
