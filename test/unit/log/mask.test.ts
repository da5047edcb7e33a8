import t from 'tap';
import { maskIp, maskMac, maskPersonId, maskSsid, maskUrlCredentials, scrubText } from '../../../src/log/mask.js';

t.test('SSID: first two characters and length', async (t) => {
  t.equal(maskSsid('HomeNetwork'), 'Ho…(11)');
  t.equal(maskSsid('A'), 'A…(1)');
  t.equal(maskSsid(''), '…(0)');
  t.equal(maskSsid('Café☕Wifi'), 'Ca…(9)', 'counts characters, not bytes');
});

t.test('MAC: last three octets', async (t) => {
  t.equal(maskMac('AA:BB:CC:DD:EE:FF'), '**:**:**:dd:ee:ff');
  t.equal(maskMac('aa-bb-cc-dd-ee-ff'), '**:**:**:dd:ee:ff');
  t.equal(maskMac('garbage'), '**:**:**:**:**:**');
});

t.test('IP: last octet or group', async (t) => {
  t.equal(maskIp('192.168.1.23'), '*.*.*.23');
  t.equal(maskIp('fe80::1ff:fe23:4567:890a'), '*:*:890a');
  t.equal(maskIp('::ffff:192.168.1.42'), '*.*.*.42', 'an IPv4 client on a dual-stack socket');
  t.equal(maskIp('nonsense'), '*');
});

t.test('URLs lose credentials and query strings', async (t) => {
  t.equal(maskUrlCredentials('rtsp://admin:pw@cam/live'), 'rtsp://***@cam/live');
  t.equal(maskUrlCredentials('https://bucket.s3/x.jpg?X-Amz-Signature=abc&X-Amz-Credential=k'), 'https://bucket.s3/x.jpg?***');
  t.equal(maskUrlCredentials('rtsp://admin:p@ss/word@cam/live'), 'rtsp://***@cam/live', 'unencoded @ and / in a password');
  t.equal(maskUrlCredentials('mqtts://broker:8883'), 'mqtts://broker:8883');
});

t.test('free text from child processes is scrubbed', async (t) => {
  const line = "[tcp @ 0x55] Connection to tcp://10.1.2.3:554?timeout=0 failed: rtsp://u:secretpw@10.1.2.3/s from aa:bb:cc:dd:ee:ff";
  const out = scrubText(line);
  t.notMatch(out, /secretpw|10\.1\.2|aa:bb:cc/);
  t.match(out, /\*\.\*\.\*\.3/);
  t.match(out, /\*\*:\*\*:\*\*:dd:ee:ff/);
  t.equal(scrubText('listening on 127.0.0.1:8443 and 0.0.0.0'), 'listening on 127.0.0.1:8443 and 0.0.0.0', 'loopback stays readable');
});

t.test("a person's identifier keeps two characters and the length", async (t) => {
  t.equal(maskPersonId('jo.doe@example.com'), 'jo…(18)');
  t.equal(maskPersonId('x'), 'x…(1)');
});
