/**
 * One client process of the multi-user benchmark (multi-user.ts starts 100 of them):
 * `node multi-user-client.ts <workflow name> <ops>` runs one workflow whose graph is `ops − 1`
 * `inc` ops and a `sum` of their results, as the user of LZY_CLIENT_CONFIG, checks the sum and
 * prints one JSON line `{ "sum": …, "ms": … }`. `<workflow name>` `-` only loads the SDK and the
 * ops and exits (the baseline: what starting a client process costs).
 */
import { workflow } from '@lzy/sdk';
import { inc, sum } from './ops.ts';

if (import.meta.main) {
  const [name = '-', opsArg = '5'] = process.argv.slice(2);
  if (name !== '-') {
    const incs = Number(opsArg) - 1;
    const started = performance.now();
    const total = await workflow(
      name,
      async () => await sum(...Array.from({ length: incs }, (_, i) => inc(i))),
      { std: { stdout: () => undefined, stderr: () => undefined } },
    );
    const expected = (incs * (incs + 1)) / 2;
    if (total !== expected) throw new Error(`${name}: sum ${total}, expected ${expected}`);
    process.stdout.write(`${JSON.stringify({ sum: total, ms: performance.now() - started })}\n`);
  }
}
