import { randomBytes } from 'node:crypto';
import t from 'tap';
import { generateApPassphrase, isApPassphrase } from '../../../src/factory/ap-passphrase.js';
import { luhn32CheckCharacter, luhn32Valid } from '../../../src/factory/check-character.js';
import { CROCKFORD_ALPHABET, encodeCrockford, normalizeCrockford } from '../../../src/factory/crockford.js';
import { DEVICE_ID_PATTERN, generateDeviceId } from '../../../src/factory/device-id.js';
import { generateLocalMac, normalizeMac } from '../../../src/factory/mac-address.js';
import { isTrivialPattern } from '../../../src/factory/trivial-pattern.js';
import { nthSerial } from '../../../src/factory/unit-naming.js';
import { generateVerificationCode, verificationCodeProblem } from '../../../src/factory/verification-code.js';

/** A random source that replays fixed bytes, then real randomness. */
function scripted(...chunks: Buffer[]) {
  return (n: number) => chunks.shift()?.subarray(0, n) ?? randomBytes(n);
}

t.test('a code is 8 data characters from the random source plus a Luhn mod 32 check character', async (t) => {
  const bytes = Buffer.from([0x3a, 0x5c, 0x91, 0xe7, 0x2b]);
  const code = generateVerificationCode(scripted(bytes));
  t.equal(code.slice(0, 8), encodeCrockford(bytes, 8));
  t.ok(luhn32Valid(code));
  t.equal(verificationCodeProblem(code), null);
});

t.test('trivial codes are rejected and redrawn: all one character, sequential runs, few distinct characters', async (t) => {
  for (const bad of ['00000000', '01234567', 'ZYXWVTSR', 'AAAABBCD', '7K7K7K7K', 'ABCD9K2M', '1111XQ9R']) t.ok(isTrivialPattern(bad), bad);
  for (const ok of ['7KQ2M9XW', 'K7Q2M9XW', '3N8DR1TF']) t.notOk(isTrivialPattern(ok), ok);
  const allZero = Buffer.alloc(5);
  const code = generateVerificationCode(scripted(allZero, allZero));
  t.not(code.slice(0, 8), '00000000');
  t.equal(verificationCodeProblem('00000000' + luhn32CheckCharacter('00000000')), 'trivial_code');
});

t.test('codes never put 0 next to Z (the one transposition Luhn mod 32 misses)', async (t) => {
  for (let i = 0; i < 20000; i++) t.notMatch(generateVerificationCode(randomBytes), /0Z|Z0/);
});

t.test('generated codes are distinct and rejection costs little entropy', async (t) => {
  const seen = new Set<string>();
  let trivial = 0;
  for (let i = 0; i < 20000; i++) {
    seen.add(generateVerificationCode(randomBytes));
    if (isTrivialPattern(encodeCrockford(randomBytes(5), 8))) trivial++;
  }
  t.equal(seen.size, 20000);
  t.ok(trivial / 20000 < 0.03, `rejected ${trivial} of 20000 random draws`);
});

t.test('the check character catches every single-character substitution', async (t) => {
  let checked = 0;
  for (let n = 0; n < 200; n++) {
    const code = generateVerificationCode(randomBytes);
    for (let i = 0; i < code.length; i++) {
      for (const c of CROCKFORD_ALPHABET) {
        if (c === code[i]) continue;
        t.notOk(luhn32Valid(code.slice(0, i) + c + code.slice(i + 1)));
        checked++;
      }
    }
  }
  t.equal(checked, 200 * 9 * 31);
});

t.test('the check character catches every adjacent transposition of an issued code', async (t) => {
  for (let n = 0; n < 2000; n++) {
    const code = generateVerificationCode(randomBytes);
    for (let i = 0; i < code.length - 1; i++) {
      if (code[i] === code[i + 1]) continue;
      const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
      if (luhn32Valid(swapped)) t.fail(`${code} → ${swapped}`);
    }
  }
  // Exhaustively over all pairs: the only blind pair is {0, Z}, which issued codes never contain.
  const blind: string[] = [];
  for (const a of CROCKFORD_ALPHABET) {
    for (const b of CROCKFORD_ALPHABET) {
      if (a === b) continue;
      const data = `7K${a}${b}M9XW`;
      const code = data + luhn32CheckCharacter(data);
      if (luhn32Valid(`7K${b}${a}M9XW${code[8]}`)) blind.push(a + b);
    }
  }
  t.same(blind.sort(), ['0Z', 'Z0']);
});

t.test('typed codes normalise Crockford look-alikes', async (t) => {
  t.equal(normalizeCrockford('7kq2-m9xw-f'), '7KQ2M9XWF');
  t.equal(normalizeCrockford('o1 Il'), '0111');
});

t.test('AP passphrase: 12 Crockford characters, 60 random bits, not trivial', async (t) => {
  const p = generateApPassphrase(randomBytes);
  t.ok(isApPassphrase(p));
  t.equal(p.length, 12);
  const seen = new Set(Array.from({ length: 5000 }, () => generateApPassphrase(randomBytes)));
  t.equal(seen.size, 5000);
  t.not(generateApPassphrase(scripted(Buffer.alloc(8))), '000000000000');
});

t.test('device id is cam- plus 16 random lower-case Crockford characters', async (t) => {
  const id = generateDeviceId(randomBytes);
  t.match(id, DEVICE_ID_PATTERN);
  t.not(generateDeviceId(randomBytes), id);
});

t.test('generated MACs are locally administered unicast; given MACs are normalised', async (t) => {
  for (let i = 0; i < 100; i++) {
    const first = parseInt(generateLocalMac(randomBytes).slice(0, 2), 16);
    t.equal(first & 0x03, 0x02);
  }
  t.equal(normalizeMac('02-1A-2B-3C-4D-5E'), '02:1a:2b:3c:4d:5e');
  t.throws(() => normalizeMac('01:00:5e:00:00:01'), { code: 'bad_mac' });
  t.throws(() => normalizeMac('zz'), { code: 'bad_mac' });
});

t.test('batch serials count up the trailing digits and keep their width', async (t) => {
  t.equal(nthSerial('AC0099', 1), 'AC0100');
  t.equal(nthSerial('AC1234567890', 0), 'AC1234567890');
  t.throws(() => nthSerial('AC99', 1), { code: 'serial_overflow' });
  t.throws(() => nthSerial('ACXYZ', 1), { code: 'bad_serial' });
});
