import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve, join } from 'node:path';
import { startAgent, type RunningAgent } from '../cli/run-command.js';
import type { Io } from '../cli/config-commands.js';
import { agentVersion } from '../cli/version.js';
import { DemoConsole } from './demo-console.js';
import { startStandInCloud, type StandInCloud } from './stand-in-cloud.js';
import { ensureDemoUnit, type DemoUnit } from './demo-factory.js';
import { startDemoPairing } from './demo-pairing.js';
import { demoTalkback } from './demo-talkback.js';
import { prepareDemoOta } from './demo-ota.js';
import { encodePrv1 } from '../provisioning/payload/index.js';
import { readQrTexts } from '../factory/qr-reader.js';
import { decodeLabelPayload } from '../factory/label-payload.js';
import { groupForPrint } from '../factory/crockford.js';

/**
 * A simulated camera: a grey room with a person-sized block walking across,
 * made by ffmpeg's lavfi sources so nobody has to trust a video file.
 */
export const DEMO_FEED =
  'lavfi:color=c=0x404040:s=640x360:r=10[bg];color=c=0xd0d0d0:s=60x140:r=10[p];[bg][p]overlay=x=mod(t*90\\,700)-60:y=150:shortest=1';

/** The simulated home network the demo camera joins from the QR code. */
export const DEMO_WIFI = { ssid: 'DemoHome', password: 'correct horse battery' } as const;

/**
 * The feed with the phone held up to the lens: the QR code from `png` is
 * visible from 3 s to 12 s after each ffmpeg start (the QR scanner starts
 * its own), then the phone is taken away. `png` must be a plain path (no
 * filtergraph metacharacters): the demo writes it to a temp folder.
 */
export function demoFeedWithQr(png: string): string {
  return (
    'lavfi:color=c=0x404040:s=640x360:r=10[bg];color=c=0xd0d0d0:s=60x140:r=10[p];movie=' +
    png +
    "[q];[bg][p]overlay=x=mod(t*90\\,700)-60:y=150:shortest=1[room];[room][q]overlay=x=380:y=60:enable='between(t,3,12)'"
  );
}

export interface DemoOptions {
  out?: string;
  /** AP mode: the hotspot and its setup portal instead of the QR code. */
  ap?: boolean;
}

/** `camera-agent demo`: the agent on simulated hardware, with a stand-in cloud, until Ctrl-C. */
export async function demoCommand(opts: DemoOptions, io: Io): Promise<number> {
  const out = resolve(opts.out ?? 'demo-output');
  const dirs = { data: join(out, 'data') };
  // Every run is a camera fresh out of the box (the factory identity stays): it provisions itself again.
  await rm(dirs.data, { recursive: true, force: true });
  await mkdir(dirs.data, { recursive: true });
  let unit: DemoUnit;
  try {
    unit = await ensureDemoUnit(out);
  } catch (err) {
    io.err(`demo: could not create the simulated factory identity: ${(err as Error).message}`);
    return 1;
  }
  const buttonFile = join(out, 'button');
  const shutterFile = join(out, 'shutter');
  await writeFile(buttonFile, '');
  await writeFile(shutterFile, 'open\n');
  const console = new DemoConsole(join(out, 'agent.log'), io.out);
  let cloud: StandInCloud;
  try {
    cloud = await startStandInCloud({ cert: unit.brokerCert, key: unit.brokerKey, ca: unit.caCert });
  } catch (err) {
    io.err(`demo: ${(err as Error).message}`);
    return 1;
  }
  cloud.onPublish((topic, payload) =>
    // Talkback audio frames (50 a second) are not worth a line each; update events are drawn as a progress bar instead.
    topic.endsWith('/talkback/up') || topic.endsWith('/event/ota') ? undefined :
    console.say(
      topic.includes('/snapshot/')
        ? `☁  cloud received ${topic}: ${payload.length} bytes of JPEG`
        : // The binding token is a secret even on the cloud's side of the demo.
          `☁  cloud received ${topic}: ${payload.toString('utf8').replace(/"token":"[^"]*"/g, '"token":"…"').slice(0, 160)}`,
    ),
  );
  // What the phone app does: get a binding token from the cloud, show Wi-Fi + token as a PRV1 QR code.
  const pairing = startDemoPairing(cloud, (line) => console.say(line));
  const prv1 = encodePrv1({ ssid: DEMO_WIFI.ssid, auth: 'wpa', password: DEMO_WIFI.password, token: pairing.token, region: pairing.region, timeZone: 'Europe/Berlin' });
  if (!prv1.ok) throw new Error(`demo QR payload: ${prv1.error.message}`);
  const qrDir = await mkdtemp(join(tmpdir(), 'camera-agent-demo-'));
  const qrPng = join(qrDir, 'phone-qr.png');
  const QRCode = (await import('qrcode')).default;
  await QRCode.toFile(qrPng, [{ data: Buffer.from(prv1.value), mode: 'byte' }], { errorCorrectionLevel: 'M', margin: 4, width: 200 });
  // A signed firmware update from a local server, with the demo's own vendor key.
  const demoOta = await prepareDemoOta(out, { cert: unit.brokerCert, key: unit.brokerKey, caCert: unit.caCert });
  const configFile = join(out, 'demo-config.json');
  await writeFile(
    configFile,
    `${JSON.stringify(
      {
        data: { dir: dirs.data },
        identity: { dir: unit.factoryDir },
        // No cable: the camera reaches the cloud only after joining DemoHome from the QR code.
        hal: {
          mode: 'sim',
          sim: {
            buttonFile,
            shutterFile,
            wired: false,
            wifiNetworks: [{ ssid: DEMO_WIFI.ssid, password: DEMO_WIFI.password }, { ssid: 'Neighbour 5G', password: 'not yours 123' }],
            // What the simulated speaker plays in a talkback session is kept here.
            speakerRecording: join(out, 'talkback.wav'),
          },
        },
        // --ap: no phone with a QR code; the hotspot opens at once and its portal waits on loopback.
        video: { input: opts.ap ? DEMO_FEED : demoFeedWithQr(qrPng) },
        ...(opts.ap ? { provisioning: { qr: { enabled: false } }, network: { ap: { startAfterMinutes: 0, port: 0 } } } : {}),
        cloud: { url: cloud.url, ca: unit.caCert, backoff: { startDelayMaxMs: 0 } },
        // The stand-in cloud has no upload service: images travel as binary MQTT.
        alarm: { delivery: 'mqtt' },
        ota: demoOta.config,
      },
      null,
      2,
    )}\n`,
  );


  io.out(banner({ out, cloud: cloud.url, configFile, buttonFile, shutterFile, label: unit.labelPng, labelNew: unit.created }));
  let running: RunningAgent;
  try {
    running = await startAgent({ sources: { systemFile: configFile, env: {} }, output: console });
  } catch (err) {
    io.err(`demo: the agent did not start: ${(err as Error).message}`);
    await cloud.close();
    await demoOta.close();
    await rm(qrDir, { recursive: true, force: true });
    return 1;
  }
  const showQr = opts.ap
    ? setTimeout(() => undefined, 0)
    : setTimeout(() => console.say(`📱 demo: the phone app holds its QR code up to the camera (Wi-Fi ${DEMO_WIFI.ssid} + a binding token)`), 3000);
  if (opts.ap) {
    // The setup code is printed on the label (and only there): read it back from the label's QR code.
    const code = readQrTexts(unit.labelPng)
      .then((texts) => texts.map((t) => decodeLabelPayload(t)).find((r) => r.ok))
      .then((r) => (r?.ok ? groupForPrint(r.payload.code) : '(see the label)'))
      .catch(() => '(see the label)');
    const announce = (url: string, ssid: string) =>
      void code.then((c) => {
        console.say(`📶 demo: the camera opened its hotspot ${ssid}; its setup portal is at ${url}/`);
        console.say(`   open it in a browser, pick ${DEMO_WIFI.ssid}, password "${DEMO_WIFI.password}", setup code ${c} (from the label)`);
      });
    running.agent.provisioning.ap.onOpen(announce);
    // It may have opened already (startAfterMinutes 0).
    const open = running.agent.provisioning.ap.url;
    if (open) announce(open, 'CAM100');
  }

  // The technician's view: the console on the camera itself, with a token as the cloud would issue one.
  const consoleUrl = running.agent.localApi.url;
  const token = running.agent.localApi.mintToken('technician', 'demo-technician', 3600);
  if (consoleUrl && token) {
    console.say(`🔧 technician console: ${consoleUrl}/  (self-signed device certificate: accept it in the browser)`);
    console.say(`   one-time technician token (valid 1 h): ${token}`);
  }

  // The stand-in cloud asks the camera for a ping once it is online.
  const deviceId = running.agent.identity.deviceId;
  running.agent.cloud.link?.on('online', () => {
    if (!deviceId) return;
    const request = { transaction: `demo-${Date.now()}`, ts: Date.now(), args: {} };
    console.say(`☁  cloud sends cam/${deviceId}/request/ping`);
    cloud.publish(`cam/${deviceId}/request/ping`, JSON.stringify(request)).catch(() => undefined);
  });

  // Each alarm's snapshot (masked, overlaid, metadata-free) lands in the output folder.
  const snapshotsDir = join(out, 'snapshots');
  await mkdir(snapshotsDir, { recursive: true });
  running.agent.alarm.on('snapshot', (n) => {
    const file = join(snapshotsDir, `${new Date(n.at).toISOString().replace(/[:.]/g, '-')}-${n.alarmId.slice(0, 8)}.jpg`);
    writeFile(file, n.jpeg)
      .then(() => console.say(`📸 alarm snapshot saved: ${file}`))
      .catch((err: unknown) => console.say(`could not save the alarm snapshot: ${(err as Error).message}`));
  });

  let frames = 0;
  running.agent.video.on('frame', () => frames++);
  const stats = setInterval(() => {
    console.say(`🎥 camera feed: ${frames} frames in the last 10 s (${running.agent.video.state})`);
    frames = 0;
  }, 10_000);

  // Once bound, a short tour of what a user can do with the camera's own controls.
  const tour: Array<[number, string, () => Promise<void>]> = [
    [4000, 'closing the privacy shutter', () => writeFile(shutterFile, 'closed\n')],
    [8000, 'opening the privacy shutter', () => writeFile(shutterFile, 'open\n')],
    [
      12000,
      'the app talks through the camera',
      async () => {
        if (!deviceId) return;
        await demoTalkback({ cloud, deviceId, workDir: qrDir, clip: join(out, 'talkback.wav'), logger: running.logging.logger.child({ svc: 'demo' }), say: (line) => console.say(line) });
      },
    ],
    [
      // While the app still talks: the install waits for the session (the update lock).
      13000,
      'the cloud sends a firmware update',
      async () => {
        const check = running.agent.identity.check;
        if (!deviceId || !check?.ok) return;
        await demoOta.run({ cloud, deviceId, model: check.loaded.identity.model, say: (line) => console.say(line) });
      },
    ],
  ];

  const timers: NodeJS.Timeout[] = [showQr];
  const offBound = running.agent.bus.on('state.changed', ({ to }) => {
    if (to !== (opts.ap ? 'online' : 'bound')) return;
    offBound();
    console.say(opts.ap ? '✅ demo: provisioned through the hotspot' : '✅ demo: provisioned from the QR code and bound to the account');
    for (const [at, what, act] of tour) {
      timers.push(
        setTimeout(() => {
          console.say(`👉 demo: ${what}`);
          act().catch((err: unknown) => console.say(`demo step failed: ${(err as Error).message}`));
        }, at),
      );
    }
  });

  return new Promise<number>((done) => {
    const finish = async () => {
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      clearInterval(stats);
      timers.forEach(clearTimeout);
      console.say('stopping (Ctrl-C)…');
      offBound();
      await running.stop();
      await cloud.close();
      await demoOta.close();
      await rm(qrDir, { recursive: true, force: true });
      console.say(`stopped. Logs: ${join(out, 'agent.log')}`);
      await console.close();
      done(0);
    };
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
}

function banner(b: { out: string; cloud: string; configFile: string; buttonFile: string; shutterFile: string; label: string; labelNew: boolean }): string {
  return [
    '',
    `┌─ camera-agent ${agentVersion()} demo ─────────────────────────────────────────`,
    '│ hardware      simulated (LED and voice prompts are printed below); no cable, Wi-Fi from a QR code',
    `│ camera feed   ffmpeg lavfi: a person-sized block walking across a grey room`,
    `│ stand-in cloud ${b.cloud} (embedded MQTT broker)`,
    `│ output        ${b.out}`,
    `│ label         ${b.label}${b.labelNew ? ' (new simulated factory identity)' : ''}`,
    `│ config        ${b.configFile}`,
    `│ try           echo "press 200" >> ${b.buttonFile}     (short press)`,
    `│               echo "press 6000" >> ${b.buttonFile}    (reset to provisioning)`,
    `│               echo closed > ${b.shutterFile}          (privacy shutter)`,
    '│ stop          Ctrl-C',
    '└──────────────────────────────────────────────────────────────────────',
    '',
  ].join('\n');
}
