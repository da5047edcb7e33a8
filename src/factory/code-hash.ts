import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * The slow hash of the verification code that goes into the manifest for
 * the cloud registry (provisioning.md §6.3/§6.4). scrypt is in node:crypto;
 * Argon2id is not in Node 20 and would mean a native or wasm dependency.
 *
 * Parameters: N = 2^13, r = 8, p = 1 (8 MiB, ~28 ms on the 2-core station
 * host). The code is 40 random bits with a per-unit salt, not a human
 * password, so what protects a leaked registry is the cost of exhausting
 * 2^39 guesses *per unit*: about 2^39 × 28 ms ≈ 490 CPU-years here, and
 * memory-hard on GPUs. N = 2^14 would double that but also double the
 * factory line's biggest cost (scrypt was 60 % of a unit's CPU, and the
 * station must label ≥ 20 units/s on 2 cores). The string carries its
 * parameters, so the cloud can rehash with stronger ones on import.
 *
 * Format (PHC string, passlib's scrypt form):
 *   $scrypt$ln=13,r=8,p=1$<salt, base64 no padding>$<32-byte key, base64 no padding>
 * Input: the 9 canonical characters of the code, check character included.
 */
export const CODE_HASH_PARAMS = { ln: 13, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

function run(code: string, salt: Buffer, ln: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(code, salt, keyLength, { N: 2 ** ln, r, p, maxmem: 2 ** ln * r * 256 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

export async function hashVerificationCode(code: string, salt: Buffer = randomBytes(CODE_HASH_PARAMS.saltLength)): Promise<string> {
  const { ln, r, p, keyLength } = CODE_HASH_PARAMS;
  const key = await run(code, salt, ln, r, p, keyLength);
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
}

/** Checks a code against a manifest hash (what the cloud does; used by tests). */
export async function verifyCodeHash(code: string, phc: string): Promise<boolean> {
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
  if (!m) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await run(code, Buffer.from(m[4]!, 'base64'), Number(m[1]), Number(m[2]), Number(m[3]), expected.length);
  return timingSafeEqual(key, expected);
}
