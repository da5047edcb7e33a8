import t from 'tap';
import { isDirectHost } from '../../../../src/provisioning/ap/lan-bind.js';

t.test('the LAN-bind server answers only to the camera\'s own address or .local name (DNS rebinding)', async (t) => {
  for (const ok of ['192.168.1.37', '192.168.1.37:8080', '[fe80::1]:8080', '[::1]', 'cam100-7wzkyfsz.local', 'CAM100-7890.local.:8080']) t.ok(isDirectHost(ok), ok);
  for (const bad of [undefined, '', 'evil.example', 'evil.example:8080', 'localhost', '192.168.1.37.evil.example', '[notanip]', 'a.b.local', '1.2.3']) t.notOk(isDirectHost(bad), String(bad));
});
