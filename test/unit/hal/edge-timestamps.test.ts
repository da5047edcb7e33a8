import t from 'tap';
import { DeviceTimeAligner } from '../../../src/hal/edge-timestamps.js';

t.test('a batch keeps the device-measured gaps, ending at arrival', async (t) => {
  const a = new DeviceTimeAligner();
  t.same(a.toLocal([1_700_000_000_000, 1_700_000_006_000], 50_000), [44_000, 50_000]);
});

t.test('separate batches keep device-measured gaps when delivery delay varies a little', async (t) => {
  const a = new DeviceTimeAligner();
  t.same(a.toLocal([10_000], 500), [500]);
  // Delivered 20 ms later than the first: the device gap (6000) wins, not the arrival gap.
  t.same(a.toLocal([16_000], 6_520), [6_500]);
});

t.test('a device clock stepping back re-anchors instead of producing a huge hold', async (t) => {
  const a = new DeviceTimeAligner(1000);
  t.same(a.toLocal([100_000], 1_000), [1_000]);
  t.same(a.toLocal([50_000], 2_000), [2_000]);
});

t.test('a device clock stepping forward re-anchors and never yields a time after arrival', async (t) => {
  const a = new DeviceTimeAligner();
  t.same(a.toLocal([100_000], 1_000), [1_000]);
  t.same(a.toLocal([900_000], 2_000), [2_000]);
});

t.test('results never go backwards between batches', async (t) => {
  const a = new DeviceTimeAligner();
  t.same(a.toLocal([10_000], 1_000), [1_000]);
  t.same(a.toLocal([9_990], 1_005), [1_000]);
});

t.test('an empty batch yields nothing', async (t) => {
  t.same(new DeviceTimeAligner().toLocal([], 10), []);
});
