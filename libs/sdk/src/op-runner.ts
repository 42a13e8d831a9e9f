#!/usr/bin/env node
/**
 * Runs one op call on a worker: `node op-runner.ts <module path> <export> <callId> <nArgs>`.
 * Reads the arguments from `$LZY_MOUNT/<callId>/arg<i>` (a stream argument as a Readable of the
 * file), imports the module, calls the op's function, writes the result to
 * `$LZY_MOUNT/<callId>/return` (serialization.ts format; a Readable piped through). An
 * exception goes to stderr (message and stack) and the exit code is 1.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { opMountDir } from './config.ts';
import { opMetaOf } from './op.ts';
import { decodeFrom, encodeAny } from './serialization.ts';
import { markInsideOp } from './workflow-context.ts';

async function runOp(argv: readonly string[]): Promise<void> {
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
  const module = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const meta = opMetaOf(module[exportName]);
  if (meta === undefined)
    throw new Error(`${modulePath} does not export an op named '${exportName}'`);
  const result: unknown = await meta.fn(...(args as never[]));
  // A Readable result is piped to the slot file as the op produces it (never held whole).
  const encoded = encodeAny(result);
  await pipeline(
    Readable.from(encoded.chunks, { objectMode: false }),
    createWriteStream(join(dir, 'return')),
  );
}

runOp(process.argv.slice(2)).then(
  // An op may leave timers or sockets open; the result is written, so the process is done.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
