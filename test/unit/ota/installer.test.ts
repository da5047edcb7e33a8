import t from 'tap';
import { parseArgvTemplate, parsePercent, substituteImage } from '../../../src/ota/installer.js';

t.test('a template is split on spaces into argv', async (t) => {
  t.same(parseArgvTemplate('rauc install {image}'), ['rauc', 'install', '{image}']);
  t.same(parseArgvTemplate('  swupdate   -i {image} '), ['swupdate', '-i', '{image}'], 'runs of spaces are one separator');
  t.same(parseArgvTemplate('/usr/sbin/ab-update --bundle={image} --slot=other'), ['/usr/sbin/ab-update', '--bundle={image}', '--slot=other']);
  t.same(parseArgvTemplate('rauc status mark-good'), ['rauc', 'status', 'mark-good']);
});

t.test('shell metacharacters are literal arguments, never interpreted', async (t) => {
  t.same(parseArgvTemplate('rauc install {image};reboot'), ['rauc', 'install', '{image};reboot']);
  t.same(parseArgvTemplate('rauc install $(touch /tmp/INJ_4) `id` "a b" \'c\' | && >x'), [
    'rauc',
    'install',
    '$(touch',
    '/tmp/INJ_4)',
    '`id`',
    '"a',
    'b"',
    "'c'",
    '|',
    '&&',
    '>x',
  ]);
  t.same(parseArgvTemplate('a\tb'), ['a\tb'], 'only the space separates; a tab is part of the argument');
});

t.test('a template without a program, with a NUL, or that would run the image is refused', async (t) => {
  t.equal(parseArgvTemplate(''), null);
  t.equal(parseArgvTemplate('   '), null);
  t.equal(parseArgvTemplate('rauc install a\0b'), null);
  t.equal(parseArgvTemplate('{image} --install'), null, 'the downloaded file is never the program');
  t.equal(parseArgvTemplate('/tmp/{image}.sh'), null);
});

t.test('{image} is replaced as a whole argument or inside one, literally', async (t) => {
  t.same(substituteImage(['rauc', 'install', '{image}'], '/data/ota/spool/fw.raucb'), ['rauc', 'install', '/data/ota/spool/fw.raucb']);
  t.same(substituteImage(['ab', '--bundle={image}', '{image}:{image}'], '/x'), ['ab', '--bundle=/x', '/x:/x']);
  t.same(substituteImage(['i', '{image}'], "/tmp/$&$'$`;rm -rf"), ['i', "/tmp/$&$'$`;rm -rf"], 'no replacement patterns, no shell');
  t.same(substituteImage(['i', '{IMAGE}', '{ image }'], '/x'), ['i', '{IMAGE}', '{ image }'], 'only the exact token');
});

t.test('progress lines yield their percentage', async (t) => {
  t.equal(parsePercent('installing: 20% Checking bundle'), 20);
  t.equal(parsePercent('installing: 0% Installing'), 0);
  t.equal(parsePercent('installing: 100% Installing done.'), 100);
  t.equal(parsePercent(' 45% Copying image to rootfs.1'), 45);
  t.equal(parsePercent('Checking bundle'), null);
  t.equal(parsePercent('disk 250% full'), null, 'not a percentage of progress');
  t.equal(parsePercent('ratio 0.5% done'), null, 'a fraction is not progress');
});
