import { runCli } from '../src/index.ts';
import type { CliIo } from '../src/index.ts';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * An in-process `lzy` with captured output, run in `dir` with `LZY_HOME=dir` (so its default
 * client config is `dir/client.json`) and the program of `lzy run` piped into the capture.
 */
export function lzy(dir: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    env: { LZY_HOME: dir },
    signal: new AbortController().signal,
    cwd: dir,
    homeDir: dir,
    childStdio: 'pipe',
  };
  return {
    stdout: () => out.join(''),
    run: async (...argv: string[]): Promise<Captured> => {
      const code = await runCli(argv, io);
      return { code, stdout: out.join(''), stderr: err.join('') };
    },
  };
}
