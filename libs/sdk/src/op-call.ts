/**
 * One op call on a worker, shared by the one-shot runner (op-runner.ts) and the warm host
 * (op-host.ts): reads the arguments from `$LZY_MOUNT/<callId>/arg<i>` (a stream argument as a
 * Readable of the file), imports the module, calls the op's function, writes the result to
 * `$LZY_MOUNT/<callId>/return` (serialization.ts format; a Readable piped through).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { opMountDir } from './config.ts';
import { fetchOpModule, isOpModuleRef } from './op-modules.ts';
import { opMetaOf } from './op.ts';
import { decodeFrom, encodeAny } from './serialization.ts';
import { markInsideOp } from './workflow-context.ts';

/**
 * Runs the call `argv` = `<module path> <export> <callId> <nArgs>` (the runner's arguments).
 * The module is imported through the ESM cache: a second call of the same module in the same
 * process reuses it (its top-level code ran once).
 * @throws Error for bad arguments or a module without that op; whatever the op throws.
 */
export async function runOpCall(argv: readonly string[]): Promise<void> {
  const [modulePath, exportName, callId, argCount] = argv;
  if (modulePath === undefined || exportName === undefined || callId === undefined) {
    throw new Error('usage: op-runner.ts <module path> <export> <callId> <nArgs>');
  }
  const dir = join(opMountDir(), callId);
  const args = await Promise.all(
    Array.from({ length: Number(argCount ?? 0) }, async (_, i) => {
      const path = join(dir, `arg${i}`);
      return decodeFrom(createReadStream(path), (await stat(path)).size);
    }),
  );
  markInsideOp();
  const path = isOpModuleRef(modulePath) ? await fetchOpModule(modulePath) : modulePath;
  const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const meta = opMetaOf(module[exportName]);
  if (meta === undefined) throw new Error(`${path} does not export an op named '${exportName}'`);
  const result: unknown = await meta.fn(...(args as never[]));
  // A Readable result is piped to the slot file as the op produces it (never held whole).
  const encoded = encodeAny(result);
  await pipeline(
    Readable.from(encoded.chunks, { objectMode: false }),
    createWriteStream(join(dir, 'return')),
  );
}

/** What an op's failure prints on stderr: the stack (message included) or the thrown value. */
export function describeOpError(err: unknown): string {
  return `${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`;
}
