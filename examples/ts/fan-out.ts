/**
 * Fan-out: 10 `square` ops over 1..10 feed one `sum` op; prints 385. The sum is kept on a
 * whiteboard (name `fan-out`, field `sum`) and read back from it by id.
 *
 * Run after `lzy up` (pnpm start): node examples/ts/fan-out.ts
 */
import { op, whiteboard, workflow } from '../../libs/sdk/src/index.ts';

export const square = op(import.meta.url, 'square', (x: number) => x * x, { pool: 's' });

export const sum = op(import.meta.url, 'sum', (...xs: number[]) => xs.reduce((a, b) => a + b, 0), {
  pool: 's',
});

// The worker imports this module to run an op: only the entry point starts the workflow.
if (import.meta.main) {
  const whiteboardId = await workflow('fan-out', async (wf) => {
    const total = sum(...Array.from({ length: 10 }, (_, i) => square(i + 1)));
    const wb = wf.whiteboard('fan-out', { tags: ['example'] });
    wb.set('sum', total);
    console.log(await total);
    return wb.id;
  });
  const stored = await whiteboard(whiteboardId);
  console.log(`whiteboard ${stored.name} ${stored.id}: sum = ${String(await stored.get('sum'))}`);
}
