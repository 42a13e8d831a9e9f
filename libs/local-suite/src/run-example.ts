import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** A program started against the suite; `exited` settles with its exit code. */
export interface RunningExample {
  exited: Promise<number | null>;
  /** Kills it (SIGTERM) if it is still running. */
  stop(): Promise<void>;
}

/**
 * Runs `path` with this Node, its output on ours, pointed at the suite by LZY_CLIENT_CONFIG —
 * what `lzy run` does. README's main job uses it to run the fan-out example after `lzy up`.
 */
export function runExample(
  path: string,
  clientConfigPath: string,
  env: NodeJS.ProcessEnv,
): RunningExample {
  const child = spawn(process.execPath, [path], {
    env: { ...env, LZY_CLIENT_CONFIG: clientConfigPath },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
