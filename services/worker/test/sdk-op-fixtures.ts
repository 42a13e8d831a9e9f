import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CleanupStack } from '@lzy/testing';
import { tempDir } from './worker-harness.ts';
import type { TestWorker } from './worker-harness.ts';

/** The SDK of this repository, as a worker finds it on its machine. */
const SDK_SRC = path.resolve(import.meta.dirname, '../../../libs/sdk/src');
export const SDK_RUNNER = path.join(SDK_SRC, 'op-runner.ts');

/** The SDK's quoting (libs/sdk/src/op-command.ts), so the command is exactly what it emits. */
const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** An op module in a temp directory; its top-level code appends a line to `loadsFile`. */
export interface OpModule {
  path: string;
  loadsFile: string;
  /** Rewrites the module with `version` returned by its `version` op. */
  write(version: string): Promise<void>;
}

export async function writeOpModule(cleanup: CleanupStack): Promise<OpModule> {
  const dir = await tempDir(cleanup, 'ops');
  const modulePath = path.join(dir, 'ops.mjs');
  const loadsFile = path.join(dir, 'loads.txt');
  const write = (version: string) =>
    writeFile(
      modulePath,
      `import { appendFileSync, existsSync } from 'node:fs';
import { op } from ${JSON.stringify(pathToFileURL(path.join(SDK_SRC, 'index.ts')).href)};
appendFileSync(${JSON.stringify(loadsFile)}, 'loaded\\n');
export const pid = op(import.meta.url, 'pid', () => process.pid);
export const version = op(import.meta.url, 'version', () => ${JSON.stringify(version)});
export const echo = op(import.meta.url, 'echo', (x) => {
  console.log('out', x);
  console.error('err', x);
  return x;
});
export const fail = op(import.meta.url, 'fail', () => {
  throw new Error('boom from the op');
});
export const exit3 = op(import.meta.url, 'exit3', () => {
  console.log('about to exit');
  process.exit(3);
});
export const waitForGo = op(import.meta.url, 'waitForGo', async () => {
  console.log(process.pid);
  while (!existsSync(\`\${process.env.LZY_MOUNT}/go\`)) await new Promise((r) => setTimeout(r, 20));
  return 'went';
});
export const sleepy = op(import.meta.url, 'sleepy', async () => {
  console.log(process.pid);
  await new Promise((resolve) => setTimeout(resolve, 600_000));
});
`,
    );
  await write('v1');
  return { path: modulePath, loadsFile, write };
}

/**
 * The command of one SDK op call (libs/sdk/src/graph-builder.ts) with its argument files
 * written into the task's directory; `result()` reads the call's return value.
 */
export async function sdkOpCall(
  w: TestWorker,
  call: { taskId: string; module: OpModule; exportName: string; args?: unknown[] },
): Promise<{ command: string; result: () => Promise<unknown> }> {
  const callId = `call-${call.taskId}`;
  const dir = path.join(w.mountDir, call.taskId, callId);
  await mkdir(dir, { recursive: true });
  const args = call.args ?? [];
  await Promise.all(
    args.map((arg, i) => writeFile(path.join(dir, `arg${i}`), `J${JSON.stringify(arg)}`)),
  );
  const command = [process.execPath, SDK_RUNNER, call.module.path, call.exportName, callId]
    .map(quote)
    .concat(String(args.length))
    .join(' ');
  return {
    command,
    result: async () => {
      const stored = await readFile(path.join(dir, 'return'), 'utf8');
      if (!stored.startsWith('J')) throw new Error(`unexpected stored value ${stored}`);
      return stored.length === 1 ? undefined : (JSON.parse(stored.slice(1)) as unknown);
    },
  };
}
