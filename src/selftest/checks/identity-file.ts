import { readFile } from 'node:fs/promises';
import { factoryPath, type FactoryIdentity } from '../../identity/factory-layout.js';
import { fail, pass, type CheckOutcome, type SelfTestCheck } from '../check.js';

/**
 * Fields identity.json must carry. Only presence is checked here; the
 * identity module validates formats and key/certificate consistency when the
 * agent starts. `satisfies` keeps this list in step with FactoryIdentity.
 */
export const REQUIRED_IDENTITY_FIELDS = [
  'formatVersion',
  'deviceId',
  'serial',
  'model',
  'hardwareRevision',
  'mac',
  'labelFormat',
  'publicKeyFingerprint',
  'certificateSerial',
  'manufacturedAt',
] as const satisfies readonly (keyof FactoryIdentity)[];

/** Judges identity.json's text: parses, is an object, names what is missing. */
export function judgeIdentity(text: string): CheckOutcome {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail('identity_unreadable', null, `identity.json is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('identity_unreadable', null, 'identity.json is not a JSON object');
  const record = doc as Record<string, unknown>;
  // certificateSerial may be null (CSR not yet signed); the key itself must be there.
  const missing = REQUIRED_IDENTITY_FIELDS.filter((f) => !(f in record) || (record[f] === null && f !== 'certificateSerial') || record[f] === '');
  const serial = typeof record.serial === 'string' && record.serial !== '' ? record.serial : null;
  if (missing.length) return fail('identity_incomplete', serial, `missing: ${missing.join(', ')}`);
  return pass(serial);
}

export function identityFileCheck(opts: { identityDir: string }): SelfTestCheck {
  const file = factoryPath(opts.identityDir, 'identity');
  return {
    id: 'identity',
    proves: 'the factory identity (identity.json) is present and complete',
    limit: `${REQUIRED_IDENTITY_FIELDS.length} fields present`,
    timeoutMs: 5_000,
    async run() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return code === 'ENOENT' ? fail('identity_missing', null, `${file} does not exist`) : fail('identity_unreadable', null, `${file}: ${code ?? String(err)}`);
      }
      return judgeIdentity(text);
    },
  };
}
