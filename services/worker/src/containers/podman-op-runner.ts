import { CommandProcess } from '../domain/command-process.ts';
import type { RunningCommand } from '../domain/command-process.ts';
import type { OpImageRunnerPort, OpInImage } from '../domain/op-image.ts';

const quote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * Ops in their image on a worker that is a local process: `podman run --rm` with the task's
 * mount directory (read-write) and the op's read-only mounts at the same paths, the host network
 * (slots and S3 as the worker sees them), the op's variables, and `sh -c <command>` as the
 * entry point. The container is the command's process: StopTask's SIGTERM reaches podman, which
 * passes it on (--sig-proxy) and removes the container.
 */
export class PodmanOpRunner implements OpImageRunnerPort {
  readonly #podman: string;
  readonly #extraArgs: readonly string[];
  readonly #env: Record<string, string>;

  /**
   * @param deps.podman the podman binary; extraArgs go before the image (e.g. `--runtime runc`);
   *   env is podman's own environment (PATH, CONTAINERS_CONF), never the op's.
   */
  constructor(deps: { podman: string; extraArgs: readonly string[]; env: Record<string, string> }) {
    this.#podman = deps.podman;
    this.#extraArgs = deps.extraArgs;
    this.#env = deps.env;
  }

  start(op: OpInImage): RunningCommand {
    const args = [
      this.#podman,
      ...['run', '--rm', '--network', 'host', '--pull', 'missing'],
      ...this.#extraArgs,
      ...['--volume', `${op.cwd}:${op.cwd}`],
      ...op.readOnlyMounts.flatMap((m) => ['--volume', `${m}:${m}:ro`]),
      ...['--workdir', op.cwd],
      ...Object.entries(op.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      ...['--entrypoint', 'sh', op.image, '-c', op.command],
    ];
    return new CommandProcess({
      command: `exec ${args.map(quote).join(' ')}`,
      cwd: op.cwd,
      env: this.#env,
    });
  }
}
