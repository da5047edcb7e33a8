import { createCipheriv, createDecipheriv, createHash, createPublicKey, generateKeyPairSync, hkdfSync, randomBytes, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { bigIntToBytes, bytesToBigInt, completeSrpClient, computeSrpVerifier, createSrpClientHello, SRP_SUITE_3072_SHA512 } from '../../src/crypto/srp.js';

/**
 * The phone app's side of `/prov/v1` (provisioning.md §6.5), for tests and
 * the bench: SRP-6a client, envelope seal/open, sequence numbers.
 *
 * The envelope and key derivation are written out again here from the
 * protocol text rather than imported from src/provisioning/ap/envelope.ts,
 * so a test run is an interoperability check between two implementations
 * (a nonce or AAD mistake made identically on both sides would otherwise
 * pass unnoticed). Only the SRP math is shared (it has its RFC vectors).
 */
export const PROV_PREFIX = '/prov/v1';

export interface ProvResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON as received (an envelope for sealed answers). */
  raw: unknown;
  /** The answer's JSON: decrypted when it was sealed, else `raw`. */
  body: any;
  sealed: boolean;
}

export interface Handshake {
  ok: boolean;
  init: ProvResponse;
  verify?: ProvResponse;
  /** The device's transcript signature checked out with the key it sent. */
  signatureValid?: boolean;
  /** Hex SHA-256 of the SPKI the device sent (compare with identity.json publicKeyFingerprint / label F). */
  publicKeyFingerprint?: string;
}

type Fetch = typeof fetch;

const DIRECTION = { c2d: 1, d2c: 2 } as const;

function nonce(direction: keyof typeof DIRECTION, seq: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32BE(DIRECTION[direction], 0);
  n.writeBigUInt64BE(BigInt(seq), 4);
  return n;
}

export class ProvClient {
  sid: string | null = null;
  seq = 0;
  #c2d: Buffer | null = null;
  #d2c: Buffer | null = null;
  readonly #fetch: Fetch;

  constructor(readonly opts: { baseUrl: string; serial: string; fetch?: Fetch }) {
    this.#fetch = opts.fetch ?? fetch;
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ProvResponse> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await this.#fetch(`${this.opts.baseUrl}${PROV_PREFIX}${path}`, init);
    const text = await res.text();
    let raw: unknown = null;
    try {
      raw = text === '' ? null : JSON.parse(text);
    } catch {
      raw = text;
    }
    return { status: res.status, headers: res.headers, raw, body: raw, sealed: false };
  }

  info(): Promise<ProvResponse> {
    return this.request('GET', '/info');
  }

  /** session/init + session/verify with `code`; on success the client holds the session keys. */
  async handshake(code: string, opts: { identity?: string } = {}): Promise<Handshake> {
    const suite = SRP_SUITE_3072_SHA512;
    const identity = opts.identity ?? this.opts.serial;
    const hello = createSrpClientHello(suite);
    const A = Buffer.from(hello.clientPublic);
    const init = await this.request('POST', '/session/init', { I: identity, A: A.toString('base64') });
    if (init.status !== 200) return { ok: false, init };
    const { sid, s, B } = init.body as { sid: string; s: string; B: string };
    const salt = Buffer.from(s, 'base64');
    const serverPublic = Buffer.from(B, 'base64');
    const client = completeSrpClient({ hello, identity, password: code, salt, serverPublic });
    if (!client.ok) throw new Error(`SRP client failed: ${client.code}`);
    const M1 = Buffer.from(client.clientProof);
    const verifyRes = await this.request('POST', '/session/verify', { sid, M1: M1.toString('base64') });
    if (verifyRes.status !== 200) return { ok: false, init, verify: verifyRes };
    const M2 = Buffer.from((verifyRes.body as { M2: string }).M2, 'base64');
    const expected = Buffer.from(client.expectedServerProof);
    if (M2.length !== expected.length || !timingSafeEqual(M2, expected)) throw new Error('device proof M2 does not match: not the device we think');

    const sidBytes = Buffer.from(sid, 'base64');
    const K = Buffer.from(client.sessionKey);
    this.#c2d = Buffer.from(hkdfSync('sha256', K, sidBytes, 'prov1 c2d', 32));
    this.#d2c = Buffer.from(hkdfSync('sha256', K, sidBytes, 'prov1 d2c', 32));
    this.sid = sid;
    this.seq = 0;

    const out: Handshake = { ok: true, init, verify: verifyRes };
    const { sig, spki } = verifyRes.body as { sig?: string; spki?: string };
    if (sig && spki) {
      const spkiDer = Buffer.from(spki, 'base64');
      const transcript = Buffer.concat([
        Buffer.from('prov1 transcript\0', 'utf8'),
        sidBytes,
        Buffer.from(bigIntToBytes(bytesToBigInt(A), 384)),
        serverPublic,
        M1,
        M2,
      ]);
      const key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
      out.signatureValid = verify('sha256', transcript, { key, dsaEncoding: 'der' }, Buffer.from(sig, 'base64'));
      out.publicKeyFingerprint = createHash('sha256').update(spkiDer).digest('hex');
    }
    return out;
  }

  #aad(path: string, seq: number, sid: string): Buffer {
    return Buffer.from(`POST ${PROV_PREFIX}${path} ${sid} ${seq}`, 'utf8');
  }

  /** An envelope for `path` (next seq unless given); does not send it. */
  seal(path: string, body: unknown, opts: { seq?: number } = {}): { seq: number; ct: string } {
    return this.sealBytes(path, Buffer.from(JSON.stringify(body), 'utf8'), opts);
  }

  /** Seal any bytes (tests of what the device does with a sealed body that is not JSON). */
  sealBytes(path: string, plaintext: Buffer, opts: { seq?: number } = {}): { seq: number; ct: string } {
    if (!this.#c2d || !this.sid) throw new Error('no session');
    const seq = opts.seq ?? ++this.seq;
    if (seq > this.seq) this.seq = seq;
    const cipher = createCipheriv('aes-256-gcm', this.#c2d, nonce('c2d', seq));
    cipher.setAAD(this.#aad(path, seq, this.sid));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { seq, ct: ct.toString('base64') };
  }

  /** Open a sealed answer from `path`; throws when it does not authenticate. */
  open(path: string, envelope: { seq: number; ct: string }): unknown {
    if (!this.#d2c || !this.sid) throw new Error('no session');
    const ct = Buffer.from(envelope.ct, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#d2c, nonce('d2c', envelope.seq));
    decipher.setAAD(this.#aad(path, envelope.seq, this.sid));
    decipher.setAuthTag(ct.subarray(ct.length - 16));
    const plain = Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]);
    return JSON.parse(plain.toString('utf8'));
  }

  /** POST an envelope as is, with `Authorization: Prov1 <sid>` (override sid to test refusals). */
  send(path: string, envelope: unknown, opts: { sid?: string | null } = {}): Promise<ProvResponse> {
    const sid = opts.sid === undefined ? this.sid : opts.sid;
    return this.request('POST', path, envelope, sid === null ? {} : { authorization: `Prov1 ${sid}` });
  }

  /** Seal, send and open: what the app does for every session call. */
  async call(path: string, body: unknown = {}, opts: { seq?: number } = {}): Promise<ProvResponse> {
    const envelope = this.seal(path, body, opts);
    const res = await this.send(path, envelope);
    return this.#unseal(path, res, envelope.seq);
  }

  /** Open `res` if it is an envelope answering `seq` (checks the seq echo). */
  unseal(path: string, res: ProvResponse, seq: number): ProvResponse {
    return this.#unseal(path, res, seq);
  }

  #unseal(path: string, res: ProvResponse, seq: number): ProvResponse {
    const raw = res.raw as { seq?: unknown; ct?: unknown } | null;
    if (raw && typeof raw === 'object' && typeof raw.ct === 'string' && typeof raw.seq === 'number') {
      if (raw.seq !== seq) throw new Error(`answer seq ${raw.seq} does not echo request seq ${seq}`);
      return { ...res, body: this.open(path, { seq: raw.seq, ct: raw.ct }), sealed: true };
    }
    return res;
  }
}

/**
 * A unit as the factory leaves it, for tests and the bench: the label the
 * app scans (serial, code) and what the camera stores (salt + verifier,
 * device key) — never the code itself on the camera side.
 */
export interface TestUnit {
  label: { serial: string; code: string };
  srp: { suite: typeof SRP_SUITE_3072_SHA512; salt: Uint8Array; verifier: Uint8Array };
  deviceKey: KeyObject;
  publicKeyFingerprint: string;
}

export function makeTestUnit(opts: { serial?: string; code?: string } = {}): TestUnit {
  const serial = opts.serial ?? 'AC1234567890';
  const code = opts.code ?? '7KQ2M9XWV'; // Luhn mod 32 valid, as the factory issues them
  const salt = randomBytes(16);
  const deviceKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const spki = createPublicKey(deviceKey).export({ type: 'spki', format: 'der' });
  return {
    label: { serial, code },
    srp: { suite: SRP_SUITE_3072_SHA512, salt, verifier: computeSrpVerifier(serial, code, salt) },
    deviceKey,
    publicKeyFingerprint: createHash('sha256').update(spki).digest('hex'),
  };
}
