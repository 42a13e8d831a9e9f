import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { resolveClientConfigPath } from '../client-config.ts';
import { exitCodeOfSignal } from '../signal-exit-code.ts';

export interface RunArgs {
  config?: string;
  file: string;
  args: string[];
}

/**
 * `lzy run <file> [args…]`: the program runs under this Node.js (which strips TypeScript types)
 * with `LZY_CLIENT_CONFIG` and `LZY_PROGRESS=1`; its exit code becomes ours (128+n if a signal
 * ended it).
 * @throws CliError when the program or the client config does not exist, or Node cannot start.
 */
export async function runProgram(args: RunArgs, io: CliIo): Promise<number> {
  const file = resolve(io.cwd, args.file);
  if (!existsSync(file)) throw new CliError(`no such file: ${file}`);
  const configPath = resolveClientConfigPath({ flag: args.config, ...io });
  if (!existsSync(configPath)) {
    throw new CliError(
      `no client config at ${configPath}: start the local suite with \`lzy up\`, or pass --config`,
    );
  }
  const child = spawn(process.execPath, [file, ...args.args], {
    cwd: io.cwd,
    env: { ...io.env, LZY_CLIENT_CONFIG: configPath, LZY_PROGRESS: '1' },
    stdio: io.childStdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.setEncoding('utf8').on('data', (text: string) => io.stdout.write(text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => io.stderr.write(text));
  // Ctrl-C already reaches the program (same foreground process group); a SIGTERM sent to lzy
  // alone is passed on so the program can clean up (finish its workflow) before we exit.
  const forward = () => {
    const signal = io.signal.reason as unknown;
    if (signal !== 'SIGINT')
      child.kill(typeof signal === 'string' ? (signal as NodeJS.Signals) : 'SIGTERM');
  };
  io.signal.addEventListener('abort', forward, { once: true });
  try {
    return await new Promise<number>((resolveExit, reject) => {
      child.once('error', (err) =>
        reject(new CliError(`cannot start ${process.execPath}: ${err.message}`, { cause: err })),
      );
      // 'close', not 'exit': piped output is fully delivered by then.
      child.once('close', (code, signal) =>
        resolveExit(code ?? exitCodeOfSignal(signal ?? undefined)),
      );
    });
  } finally {
    io.signal.removeEventListener('abort', forward);
  }
}
