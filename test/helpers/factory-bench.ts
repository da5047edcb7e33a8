// node --import tsx test/helpers/factory-bench.ts — runs the factory benchmark alone.
import { benchFactory } from '../../scripts/bench/factory.js';

await benchFactory();
