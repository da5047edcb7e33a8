import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { computeSrpVerifier, SRP_SUITE_3072_SHA512 } from '../crypto/srp.js';
import { runBatch } from './batch-run.js';
import { hashVerificationCode } from './code-hash.js';
import { loadFactoryCa, type FactoryCa } from './factory-ca.js';
import { FactoryError } from './factory-error.js';
import { FACTORY_USAGE } from './factory-usage.js';
import { HOST_PATTERN } from './label-payload.js';
import { renderLabelPng } from './label-png.js';
import { normalizeMac } from './mac-address.js';
import { provisionUnit } from './provision-run.js';
import { readQrTexts } from './qr-reader.js';
import type { UnitDeps } from './unit-builder.js';
import { checkHardwareRevision, checkModel, checkSerial } from './unit-naming.js';
import { verifyLabel } from './verify-label-run.js';

export interface FactoryIo {
  out(line: string): void;
  err(line: string): void;
}

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  model: { type: 'string' },
  out: { type: 'string' },
  'hw-rev': { type: 'string' },
  'ca-key': { type: 'string' },
  'ca-cert': { type: 'string' },
  manifest: { type: 'string' },
  zpl: { type: 'boolean' },
  'label-host': { type: 'string' },
} as const;

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;
type Values = Record<string, string | boolean | undefined>;

function parse(args: string[], options: Options, positionals = false): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: positionals, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (err) {
    throw new FactoryError('usage', (err as Error).message);
  }
}

function required(value: unknown, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new FactoryError('usage', `${flag} is required`);
  return value;
}

function labelHost(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const host = String(value).toUpperCase();
  // Upper case keeps the URL in the QR alphanumeric set.
  if (!HOST_PATTERN.test(host)) throw new FactoryError('bad_host', '--label-host must be a plain host name, e.g. Q.EXAMPLE.COM');
  return host;
}

async function ca(values: Record<string, unknown>): Promise<FactoryCa | null> {
  const key = values['ca-key'];
  const cert = values['ca-cert'];
  if (key === undefined && cert === undefined) return null;
  if (typeof key !== 'string' || typeof cert !== 'string') throw new FactoryError('usage', '--ca-key and --ca-cert go together');
  return loadFactoryCa(key, cert);
}

function productionDeps(factoryCa: FactoryCa | null): Omit<UnitDeps, 'claim'> {
  return {
    random: (n) => randomBytes(n),
    now: () => new Date(),
    ca: factoryCa,
    computeSrpVerifier: (i, p, s) => computeSrpVerifier(i, p, s, SRP_SUITE_3072_SHA512),
    srpSuiteId: SRP_SUITE_3072_SHA512.id,
    hashCode: (code) => hashVerificationCode(code),
    renderPng: renderLabelPng,
  };
}

function unitSpecBase(values: Record<string, unknown>) {
  const model = required(values.model, '--model');
  checkModel(model);
  const hardwareRevision = typeof values['hw-rev'] === 'string' ? values['hw-rev'] : 'A';
  checkHardwareRevision(hardwareRevision);
  const host = labelHost(values['label-host']);
  return { model, hardwareRevision, zpl: values.zpl === true, ...(host ? { labelHost: host } : {}) };
}

async function provision(args: string[], io: FactoryIo): Promise<number> {
  const { values } = parse(args, { ...COMMON, serial: { type: 'string' }, mac: { type: 'string' } });
  if (values.help) return help(io, 'provision');
  const serial = required(values.serial, '--serial');
  checkSerial(serial);
  const spec = { ...unitSpecBase(values), serial, ...(values.mac ? { mac: normalizeMac(String(values.mac)) } : {}) };
  const out = required(values.out, '--out');
  const summary = await provisionUnit(
    { spec, out, ...(typeof values.manifest === 'string' ? { manifest: values.manifest } : {}) },
    productionDeps(await ca(values)),
  );
  io.out(JSON.stringify(summary));
  return 0;
}

async function batch(args: string[], io: FactoryIo): Promise<number> {
  const { values } = parse(args, { ...COMMON, from: { type: 'string' }, count: { type: 'string' } });
  if (values.help) return help(io, 'batch');
  const from = required(values.from, '--from');
  checkSerial(from);
  const countText = required(values.count, '--count');
  if (!/^[1-9]\d{0,6}$/.test(countText)) throw new FactoryError('bad_count', '--count must be an integer from 1 to 9999999');
  const count = Number(countText);
  const summary = await runBatch(
    {
      from, count, spec: unitSpecBase(values), out: required(values.out, '--out'),
      ...(typeof values.manifest === 'string' ? { manifest: values.manifest } : {}),
    },
    productionDeps(await ca(values)),
  );
  io.out(JSON.stringify(summary));
  return 0;
}

async function verify(args: string[], io: FactoryIo): Promise<number> {
  const { values, positionals } = parse(args, { help: COMMON.help, identity: { type: 'string' }, 'label-host': COMMON['label-host'] }, true);
  if (values.help) return help(io, 'verify-label');
  if (positionals.length !== 1) throw new FactoryError('usage', 'verify-label takes exactly one IMAGE');
  const host = labelHost(values['label-host']);
  const report = await verifyLabel(positionals[0]!, required(values.identity, '--identity'), {
    readQrTexts,
    computeSrpVerifier: (i, p, s) => computeSrpVerifier(i, p, s, SRP_SUITE_3072_SHA512),
    ...(host ? { payload: { host } } : {}),
  });
  io.out(JSON.stringify(report));
  return report.result === 'pass' ? 0 : 3;
}

function help(io: FactoryIo, which: keyof typeof FACTORY_USAGE): number {
  io.out(FACTORY_USAGE[which]);
  return 0;
}

/**
 * `camera-agent factory <sub> …` — the CLI dispatches here. Resolves with the
 * exit code; errors become one JSON line on stderr with their code.
 */
export async function factoryCommand(argv: string[], io: FactoryIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'provision':
        return await provision(rest, io);
      case 'batch':
        return await batch(rest, io);
      case 'verify-label':
        return await verify(rest, io);
      case '--help':
      case '-h':
      case 'help':
        return help(io, 'main');
      default:
        io.err(`camera-agent factory: unknown subcommand ${sub === undefined ? '(none)' : JSON.stringify(sub)}`);
        io.err(FACTORY_USAGE.main);
        return 2;
    }
  } catch (err) {
    if (err instanceof FactoryError) {
      io.err(JSON.stringify({ error: err.code, message: err.message }));
      return err.exit;
    }
    io.err(JSON.stringify({ error: 'failed', message: err instanceof Error ? err.message : String(err) }));
    return 1;
  }
}
