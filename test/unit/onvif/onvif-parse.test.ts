import t from 'tap';
import type { OnvifProfile } from 'node-onvif';
import { parsePresets, toDeviceInformation, toStreamProfile } from '../../../src/media/onvif/onvif-parse.js';

t.test('presets: xml2js gives an object for one, an array for several, nothing for none', async (t) => {
  t.same(parsePresets({ GetPresetsResponse: { Preset: { $: { token: '1' }, Name: 'Door' } } }), [{ token: '1', name: 'Door' }]);
  t.same(parsePresets({ GetPresetsResponse: { Preset: [{ $: { token: '1' } }, { $: { token: '2' }, Name: 'Yard' }, { Name: 'no token' }] } }), [
    { token: '1', name: '1' },
    { token: '2', name: 'Yard' },
  ]);
  t.same(parsePresets({ GetPresetsResponse: '' }), []);
  t.same(parsePresets({}), []);
});

t.test('a profile without encoder or URIs becomes nulls, not NaN', async (t) => {
  const bare = {
    token: 'p', name: 'P', snapshot: '', stream: { udp: '', http: '', rtsp: '' },
    video: { source: null, encoder: null }, audio: { source: null, encoder: null },
    ptz: { range: { x: { min: 0, max: 0 }, y: { min: 0, max: 0 }, z: { min: 0, max: 0 } } },
  } satisfies OnvifProfile;
  t.same(toStreamProfile(bare), { token: 'p', name: 'P', width: null, height: null, encoding: null, fps: null, rtspUri: null, snapshotUri: null });
  const udpOnly = { ...bare, stream: { udp: 'rtsp://h/x', http: 'http://h/x', rtsp: '' } };
  t.equal(toStreamProfile(udpOnly).rtspUri, 'rtsp://h/x', 'an rtsp:// URI answered for another transport is used');
  t.same(toDeviceInformation(null), { manufacturer: '', model: '', firmwareVersion: '', serialNumber: '', hardwareId: '' });
});
