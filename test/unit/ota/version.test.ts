import t from 'tap';
import { compareVersions, directionRefusal, parseVersion, updateDirection } from '../../../src/ota/version.js';

t.test('firmware versions compare numerically part by part, pre-releases before their release, build metadata ignored', async (t) => {
  const table: Array<[string, string, -1 | 0 | 1]> = [
    ['1.2.3', '1.2.3', 0],
    ['1.2.3', '1.2.4', -1],
    ['1.2.10', '1.2.9', 1],
    ['1.10.0', '1.9.0', 1],
    ['1.10.0', '1.2.0', 1],
    ['2.0.0', '1.99.99', 1],
    ['1.2', '1.2.0', 0],
    ['1', '1.0.0.0', 0],
    ['1.2', '1.2.1', -1],
    ['1.2.0.1', '1.2', 1],
    ['2024.05.1', '2024.5.1', 0],
    ['2024.05.1', '2024.04.30', 1],
    ['2024.10.1', '2024.9.1', 1],
    ['0.0.0-sim', '0.0.0', -1],
    ['0.0.0-sim', '0.0.1-sim', -1],
    ['2.0.0-rc.1', '2.0.0', -1],
    ['2.0.0-rc.1', '1.9.9', 1],
    ['2.0.0-rc.1', '2.0.0-rc.2', -1],
    ['2.0.0-rc.2', '2.0.0-rc.10', -1],
    ['2.0-rc.1', '2.0.0-rc.1', 0],
    // SemVer §11.4 example chain: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
    ['1.0.0-alpha.beta', '1.0.0-beta', -1],
    ['1.0.0-beta', '1.0.0-beta.2', -1],
    ['1.0.0-beta.2', '1.0.0-beta.11', -1],
    ['1.0.0-beta.11', '1.0.0-rc.1', -1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-1', '1.0.0-a', -1],
    ['1.0.0-A', '1.0.0-a', -1],
    ['1.0.0-x-y', '1.0.0-x', 1],
    ['1.2.3+build.5', '1.2.3+build.6', 0],
    ['1.2.3+g1234', '1.2.3', 0],
    ['1.2.3-rc.1+b1', '1.2.3-rc.1', 0],
    ['1.2.4+b1', '1.2.3+b9', 1],
    // Not versions sort before every version, and by code point among themselves.
    ['garbage', '0.0.0', -1],
    ['0.0.0-a', 'v1.0', 1],
    ['abc', 'abd', -1],
    ['abc', 'abc', 0],
  ];
  for (const [a, b, want] of table) {
    t.equal(compareVersions(a, b), want, `${a} vs ${b}`);
    t.equal(compareVersions(b, a), -want || 0, `${b} vs ${a} (antisymmetric)`);
  }
});

t.test('sorting a mixed list gives the documented order', async (t) => {
  const sorted = ['2.0.0', '1.10.0', '2.0.0-rc.1', '1.2.3', 'junk', '1.2', '0.0.0-sim', '2024.05.1', '2.0.0-beta'].sort(compareVersions);
  t.same(sorted, ['junk', '0.0.0-sim', '1.2', '1.2.3', '1.10.0', '2.0.0-beta', '2.0.0-rc.1', '2.0.0', '2024.05.1']);
});

t.test('parseVersion splits the parts and returns null for garbage', async (t) => {
  t.same(parseVersion('1.2.3'), { release: [1, 2, 3], prerelease: [], build: null });
  t.same(parseVersion('2024.05.1'), { release: [2024, 5, 1], prerelease: [], build: null });
  t.same(parseVersion('2.0.0-rc.1+g1a2b.dirty'), { release: [2, 0, 0], prerelease: ['rc', 1], build: 'g1a2b.dirty' });
  t.same(parseVersion('0.0.0-sim'), { release: [0, 0, 0], prerelease: ['sim'], build: null });
  t.same(parseVersion('7'), { release: [7], prerelease: [], build: null });
  for (const bad of ['', 'v1.2.3', '1..2', '.1', '1.', '1.2-', '1.2+', '1.2-rc..1', '1.2-rc_1', '1.2 ', ' 1.2', '1.2.3-rc.1+', 'one', '1.a', '99999999999999999999.0', '1.0-99999999999999999999', `1.${'0.'.repeat(40)}0`]) {
    t.equal(parseVersion(bad), null, JSON.stringify(bad));
  }
  t.equal(parseVersion(42 as unknown as string), null, 'not a string');
});

t.test('updateDirection: upgrade, same (always refused), downgrade allowed only when signed so', async (t) => {
  t.equal(updateDirection('1.2.3', '1.2.4', false), 'upgrade');
  t.equal(updateDirection('1.9.0', '1.10.0', false), 'upgrade');
  t.equal(updateDirection('2.0.0-rc.1', '2.0.0', false), 'upgrade', 'release after its release candidate');
  t.equal(updateDirection('1.2.3', '1.2.3', false), 'same');
  t.equal(updateDirection('1.2.3', '1.2.3', true), 'same', 'downgrade=true does not allow a reinstall');
  t.equal(updateDirection('1.2.3', '1.2.3+rebuild', true), 'same', 'build metadata does not make a new version');
  t.equal(updateDirection('1.2', '1.2.0', false), 'same');
  t.equal(updateDirection('1.2.4', '1.2.3', false), 'downgrade-refused');
  t.equal(updateDirection('2.0.0', '2.0.0-rc.1', false), 'downgrade-refused');
  t.equal(updateDirection('1.2.4', '1.2.3', true), 'downgrade-allowed');
  t.equal(updateDirection('0.0.0-sim', '1.0.0', false), 'upgrade');
  t.equal(updateDirection('unknown-build', '1.0.0', false), 'upgrade', 'an unreadable running version can be updated');
  t.equal(directionRefusal('same'), 'same_version');
  t.equal(directionRefusal('downgrade-refused'), 'downgrade_not_allowed');
  t.equal(directionRefusal('upgrade'), null);
  t.equal(directionRefusal('downgrade-allowed'), null);
});
