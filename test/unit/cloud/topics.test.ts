import t from 'tap';
import { checkPublish, checkTopic, LIMITS, topicLevels, topicScheme, type TopicScheme } from '../../../src/cloud/topics.js';

function scheme(deviceId = 'CAM0001', prefix?: string): TopicScheme {
  const r = topicScheme(prefix ? { deviceId, prefix } : { deviceId });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

t.test('the topic tree under cam/{deviceId}', async (t) => {
  const s = scheme();
  t.equal(s.status, 'cam/CAM0001/status');
  t.equal(s.info, 'cam/CAM0001/info');
  t.equal(s.health, 'cam/CAM0001/health');
  t.equal(s.event('motion'), 'cam/CAM0001/event/motion');
  t.equal(s.request('config.set'), 'cam/CAM0001/request/config.set');
  t.equal(s.response('config.set'), 'cam/CAM0001/response/config.set');
  t.equal(s.configDesired, 'cam/CAM0001/config/desired');
  t.equal(s.configReported, 'cam/CAM0001/config/reported');
  t.equal(s.snapshot('ab12'), 'cam/CAM0001/snapshot/ab12');
  t.equal(s.requestFilter, 'cam/CAM0001/request/+');
  t.equal(s.haDiscovery('sensor', 'rssi'), 'homeassistant/sensor/CAM0001/rssi/config');
  t.equal(s.haStatus, 'homeassistant/status');
});

t.test('a configurable prefix', async (t) => {
  const s = scheme('CAM9', 'vendor/eu/{deviceId}/v1');
  t.equal(s.status, 'vendor/eu/CAM9/v1/status');
  t.same(s.parseIncoming('vendor/eu/CAM9/v1/request/ping'), { ok: true, value: { kind: 'request', op: 'ping' } });
  t.equal((s.parseIncoming('vendor/eu/OTHER/v1/request/ping') as any).error.code, 'foreign_device');
  t.equal(topicScheme({ deviceId: 'X', prefix: 'cam/static' }).ok, false, 'a prefix without {deviceId} is refused');
  t.equal(topicScheme({ deviceId: 'X', prefix: 'a/b/c/d/e/f/g/h/{deviceId}' }).ok, false, 'a prefix already at the level limit is refused');
});

t.test('device ids that would break the topic tree are refused', async (t) => {
  for (const bad of ['', 'a/b', 'a+b', 'a#', '$SYS', 'x'.repeat(129), 'ü']) {
    t.equal(topicScheme({ deviceId: bad }).ok, false, JSON.stringify(bad));
  }
});

t.test('parsing incoming topics: ours, other devices, unknown', async (t) => {
  const s = scheme();
  t.same(s.parseIncoming('cam/CAM0001/request/reboot'), { ok: true, value: { kind: 'request', op: 'reboot' } });
  t.same(s.parseIncoming('cam/CAM0001/config/desired'), { ok: true, value: { kind: 'config/desired' } });
  t.same(s.parseIncoming('homeassistant/status'), { ok: true, value: { kind: 'ha/status' } });
  const code = (topic: string) => {
    const r = s.parseIncoming(topic);
    return r.ok ? 'ok' : r.error.code;
  };
  t.equal(code('cam/CAM0002/request/reboot'), 'foreign_device');
  t.equal(code('cam/CAM0002/config/desired'), 'foreign_device');
  t.equal(code('cam/CAM00011/request/reboot'), 'foreign_device', 'a longer id sharing our prefix is not ours');
  t.equal(code('cam/CAM0001/request/a/b'), 'unknown_topic');
  t.equal(code('cam/CAM0001/status'), 'unknown_topic');
  t.equal(code('other/thing'), 'unknown_topic');
});

t.test('talkback push-to-talk topics: down is incoming (raw frames), up is ours to publish, other devices\' are refused', async (t) => {
  const s = scheme();
  t.equal(s.talkbackDown, 'cam/CAM0001/talkback/down');
  t.equal(s.talkbackUp, 'cam/CAM0001/talkback/up');
  t.same(s.parseIncoming('cam/CAM0001/talkback/down'), { ok: true, value: { kind: 'talkback/down' } });
  const code = (topic: string) => {
    const r = s.parseIncoming(topic);
    return r.ok ? 'ok' : r.error.code;
  };
  t.equal(code('cam/CAM0001/talkback/up'), 'unknown_topic', 'our own uplink is never an incoming kind');
  t.equal(code('cam/CAM0002/talkback/down'), 'foreign_device');
  t.equal(code('cam/CAM0001/talkback/down/x'), 'unknown_topic');
  t.equal(checkPublish(s.talkbackUp, 1512, 0), null);
});

t.test('levels are counted as AWS counts them', async (t) => {
  t.equal(topicLevels('cam/ABC/response/config.get'), 4);
  t.equal(topicLevels('a/b/c/d/e/f/g/h'), 8);
  t.equal(topicLevels('$aws/rules/myrule/a/b'), 2, 'the Basic Ingest prefix is not counted');
  t.equal(checkTopic('a/b/c/d/e/f/g/h'), null);
  t.equal(checkTopic('a/b/c/d/e/f/g/h/i')?.code, 'too_many_levels');
});

t.test('client-side limits with error codes', async (t) => {
  t.equal(checkPublish('cam/A/event/x', 10, 1), null);
  t.equal(checkPublish('cam/A/' + 'x'.repeat(251), 10, 1)?.code, 'topic_too_long');
  t.equal(checkPublish('cam/A/' + 'x'.repeat(250), 10, 1), null, 'exactly 256 bytes is allowed');
  t.equal(checkPublish('cam/A/ü'.padEnd(256, 'x'), 10, 1)?.code, 'topic_too_long', 'bytes, not characters');
  t.equal(checkPublish('cam/+/event', 10, 1)?.code, 'wildcard_in_topic');
  t.equal(checkPublish('cam/#', 10, 1)?.code, 'wildcard_in_topic');
  t.equal(checkPublish('$SYS/x', 10, 1)?.code, 'reserved_topic');
  t.equal(checkPublish('$aws/rules/r/cam/x', 10, 1), null, 'Basic Ingest is allowed');
  t.equal(checkPublish('cam//x', 10, 1)?.code, 'empty_topic_level');
  t.equal(checkPublish('cam/A/x', 10, 2)?.code, 'qos_not_supported');
  t.equal(checkPublish('cam/A/x', LIMITS.maxPayloadBytes, 1), null);
  t.equal(checkPublish('cam/A/x', LIMITS.maxPayloadBytes + 1, 0)?.code, 'payload_too_large');
});
