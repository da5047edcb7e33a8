/**
 * The two other ways into a talkback session, end to end on the compiled
 * agent and the real ALSA path: MQTT push-to-talk (frames on
 * cam/{id}/talkback/down and …/up through the real Mosquitto), and a
 * technician's WebSocket on the local API (token from the cloud's api.token
 * op, offered as a subprotocol like a browser would).
 */
import t from 'tap';
import { WebSocket } from 'ws';
import { parseCodecSpec } from '../../../src/talkback/codec.js';
import { encodeTalkFrame, parseTalkFrame } from '../../../src/talkback/talk-frame.js';
import { toneSamples } from '../../../src/hal/linux/aplay-tone.js';
import { talkbackRig, waitOnline } from '../../helpers/talkback-rig.js';
import { encodeTalk, frameTalk, sendPaced, utteranceWav } from '../../helpers/talk-audio.js';
import { durationSeconds, trimSilence } from '../../helpers/audio-measure.js';

const PCMU = (() => {
  const r = parseCodecSpec({ name: 'pcmu' });
  if (!r.ok) throw new Error(r.message);
  return r.spec;
})();

t.test('push-to-talk over MQTT and a technician on the local API', async (t) => {
  const tone = toneSamples(700, 10_000, 8000);
  const rig = await talkbackRig(t, { micInput: Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength), micRate: 8000, extra: { api: { enabled: true } } });
  const d = rig.start();
  await waitOnline(rig);
  const wav = await utteranceWav(rig.dir);
  const talk = await encodeTalk(rig.dir, wav, PCMU);
  const frames = frameTalk(talk);
  const down = `cam/${rig.deviceId}/talkback/down`;
  const up = `cam/${rig.deviceId}/talkback/up`;

  await t.test('MQTT push-to-talk: the app speaks, then listens; the microphone is silent while it speaks', async (t) => {
    const start = await rig.request('talkback.start', { sessionId: 'sess-ptt-00001', codec: { name: 'pcmu' }, transport: 'mqtt', duplex: 'full' });
    t.match(start, { status: 'ok', data: { transport: 'mqtt', duplex: 'half' } }, 'push-to-talk is half duplex whatever was asked');
    const talkStart = Date.now();
    await sendPaced((b) => void rig.cloud.client.publish(down, Buffer.from(b), { qos: 0 }), frames, PCMU.clockRate);
    const talkEnd = Date.now();
    rig.cloud.client.publish(down, Buffer.from(encodeTalkFrame({ type: 'end', seq: frames.length, timestamp: 0 })), { qos: 0 });
    // The app listens: the camera's microphone comes back after the hang time.
    await rig.cloud.waitForCount((m) => m.topic === up && m.receivedAt > talkEnd + 500, 25, 10_000);
    const stop = await rig.request('talkback.stop', { sessionId: 'sess-ptt-00001' });
    t.equal(stop.status, 'ok');
    const ended = await rig.waitForEvent((e) => e.sessionId === 'sess-ptt-00001' && e.state === 'ended', 'ptt end');
    t.equal(ended.reason, 'stopped');
    const played = trimSilence(await rig.alsa.readSpeaker());
    const reference = trimSilence(talk.reference);
    const dp = durationSeconds(played, 8000);
    const dr = durationSeconds(reference, 8000);
    t.ok(Math.abs(dp - dr) / dr <= 0.02, `played ${dp.toFixed(3)} s of ${dr.toFixed(3)} s`);
    const uplink = rig.cloud.messages.filter((m) => m.topic === up);
    t.ok(uplink.every((m) => {
      const f = parseTalkFrame(m.payload);
      return f.ok && f.frame.type === 'audio' && f.frame.codec === 'pcmu';
    }), 'every uplink message is one µ-law frame');
    // Half duplex: while the app's speech played (it starts a jitter depth after the first frame) nothing was sent.
    const during = uplink.filter((m) => m.receivedAt > talkStart + 400 && m.receivedAt < talkEnd - 100);
    t.equal(during.length, 0, `${during.length} uplink frames while the app was speaking`);
    t.ok(uplink.length >= 25, `${uplink.length} uplink frames in total`);
  });

  await t.test('a technician talks through the local API WebSocket; the cloud sees the session and cannot start another', async (t) => {
    const minted = await rig.request('api.token', { role: 'technician', subject: 'tech-0042', ttlS: 600 });
    t.equal(minted.status, 'ok');
    const listening = await d.waitForLog('local API and console listening', 5_000);
    const base = String(listening.url).replace(/^https:/, 'wss:');
    const ws = new WebSocket(`${base}/v1/talkback/ws?codec=pcmu`, ['camera-agent.talk.v1', `bearer.${minted.data.token as string}`], { rejectUnauthorized: false });
    const opened = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => resolve(ws.protocol));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    t.equal(opened, 'camera-agent.talk.v1', 'the token is never echoed back as the protocol');
    const started = await rig.waitForEvent((e) => e.origin === 'local' && e.state === 'started', 'local start');
    t.match(started, { transport: 'local', codec: { name: 'pcmu' } });
    const busy = await rig.request('talkback.start', { sessionId: 'sess-cloud-0001', codec: { name: 'pcmu' }, relay: { url: rig.relay.url, token: rig.relay.token } });
    t.match(busy, { status: 'error', error: { code: 'busy' } }, 'one talker at a time across transports');
    await sendPaced((b) => ws.send(b), frames, PCMU.clockRate);
    ws.send(encodeTalkFrame({ type: 'end', seq: frames.length, timestamp: 0 }));
    // Give the last frames their jitter depth before hanging up (a close drains what is buffered anyway).
    await new Promise((resolve) => setTimeout(resolve, 200));
    ws.close(1000);
    const ended = await rig.waitForEvent((e) => e.sessionId === started.sessionId && e.state === 'ended', 'local end');
    t.equal(ended.reason, 'remote_closed', 'the technician hung up');
    const played = trimSilence(await rig.alsa.readSpeaker());
    const dp = durationSeconds(played, 8000);
    const dr = durationSeconds(trimSilence(talk.reference), 8000);
    t.ok(Math.abs(dp - dr) / dr <= 0.02, `played ${dp.toFixed(3)} s of ${dr.toFixed(3)} s`);
    t.ok(d.stdout().includes(`"principal":"${minted.data.tokenId as string}"`), 'the log names the technician\'s token');
    t.notOk(d.stdout().includes(minted.data.token as string), 'the token is never logged');
  });
});
