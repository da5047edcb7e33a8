import t from 'tap';
import { SerialQueue } from '../../../src/core/serial-queue.js';

t.test('tasks run one at a time in call order; a failure reaches its caller and does not stop the queue', async (t) => {
  const q = new SerialQueue();
  const order: string[] = [];
  let running = 0;
  const task = (name: string, ms: number, fail = false) => async () => {
    running++;
    t.equal(running, 1, `${name} runs alone`);
    await new Promise((r) => setTimeout(r, ms));
    order.push(name);
    running--;
    if (fail) throw new Error(name);
    return name;
  };
  const a = q.run(task('a', 20));
  const b = q.run(task('b', 1, true));
  const c = q.run(task('c', 5));
  t.equal(await a, 'a');
  await t.rejects(b, /b/);
  t.equal(await c, 'c');
  t.same(order, ['a', 'b', 'c']);
});
