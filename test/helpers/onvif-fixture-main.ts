/**
 * Runs the ONVIF fixture as its own process, so that it can live inside a
 * test network namespace (`ip netns exec NAME node --import tsx
 * test/helpers/onvif-fixture-main.ts '{"discovery":true}'`).
 *
 * argv[2]: OnvifFixtureOptions as JSON. Prints one JSON line
 * `{"ready":true,"port":…,"xaddr":…}` once listening, then one
 * `{"call":{…}}` line per SOAP call; stops on SIGTERM or when stdin closes,
 * so it never outlives the test that started it.
 */
import { OnvifFixture, type OnvifFixtureOptions } from './onvif-fixture.js';

const options = JSON.parse(process.argv[2] ?? '{}') as OnvifFixtureOptions;
const fixture = new OnvifFixture(options);
await fixture.start();
const print = (o: unknown) => void process.stdout.write(`${JSON.stringify(o)}\n`);
print({ ready: true, port: fixture.port, xaddr: fixture.xaddr });

let reported = 0;
const flush = () => {
  while (reported < fixture.calls.length) print({ call: fixture.calls[reported++] });
};
const timer = setInterval(flush, 20);

async function shutdown(): Promise<void> {
  clearInterval(timer);
  await fixture.stop();
  flush();
  // Exit only once stdout is drained, so the last calls reach the test.
  process.stdout.write('', () => process.exit(0));
}
process.on('SIGTERM', () => void shutdown());
process.stdin.on('end', () => void shutdown());
process.stdin.resume();
