import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { commonOperation } from '@lzy/proto';
import { CommandProcess } from './command-process.ts';
import type { RunningCommand } from './command-process.ts';
import { parseSdkOpCommand } from './sdk-op-command.ts';

/**
 * The image an op asks to run in: pylzy's `docker_image` / the TS SDK's `dockerImage` →
 * Operation.dockerImage → TaskDesc `env.baseEnv.name`. Undefined: the worker's own environment.
 */
export function opImageOf(taskDesc: commonOperation.TaskDesc): string | undefined {
  const name = taskDesc.operation?.env?.baseEnv?.name ?? '';
  return name === '' ? undefined : name;
}

/** One op command to run inside an image, as LZY ran it (`docker run` with the mounts). */
export interface OpInImage {
  readonly image: string;
  /** The op's shell command (run with `sh -c`). */
  readonly command: string;
  /** The task's LZY_MOUNT: mounted read-write at the same path, the working directory. */
  readonly cwd: string;
  /** The op's variables (LZY_MOUNT, LOCAL_MODULES, …); PATH and HOME stay the image's. */
  readonly env: Readonly<Record<string, string>>;
  /** Host directories mounted read-only at the same paths (local modules, the worker's SDK). */
  readonly readOnlyMounts: readonly string[];
}

/** Runs op commands inside images (local: podman; none: a clear failure). */
export interface OpImageRunnerPort {
  start(op: OpInImage): RunningCommand;
}

/** This worker's SDK workspace (libs/sdk under it) and node binary, as op-hosts.ts finds them. */
const OWN_NODE = process.execPath;
const OWN_RUNNER = fileURLToPath(new URL('../../../../libs/sdk/src/op-runner.ts', import.meta.url));
const WORKSPACE = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '');

const quote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * The command and read-only mounts of an op in an image: a TypeScript SDK op call runs with the
 * worker's own node and SDK (mounted; the image needs glibc), any other command as it is.
 */
export function opInImage(
  base: Omit<OpInImage, 'readOnlyMounts'> & { readonly localModulesDir: string | undefined },
): OpInImage {
  const sdkOp = parseSdkOpCommand(base.command);
  const mounts = base.localModulesDir === undefined ? [] : [base.localModulesDir];
  if (sdkOp === undefined) {
    return {
      image: base.image,
      command: base.command,
      cwd: base.cwd,
      env: base.env,
      readOnlyMounts: mounts,
    };
  }
  const command = [OWN_NODE, OWN_RUNNER, ...sdkOp.argv.slice(0, 3)]
    .map(quote)
    .concat(sdkOp.argv[3] ?? '0')
    .join(' ');
  return {
    image: base.image,
    command,
    cwd: base.cwd,
    env: base.env,
    readOnlyMounts: [...mounts, dirname(OWN_NODE), WORKSPACE],
  };
}

/** A worker that cannot run images: every such op fails at once, saying why (rc 97). */
export class UnavailableOpRunner implements OpImageRunnerPort {
  readonly #reason: string;

  constructor(reason: string) {
    this.#reason = reason;
  }

  start(op: OpInImage): RunningCommand {
    const message =
      `[LZY-WORKER] the op asks to run in image ${op.image}, but this worker cannot run ops in ` +
      `images: ${this.#reason}`;
    return new CommandProcess({
      command: `printf '%s\\n' ${quote(message)} >&2; exit 97`,
      cwd: op.cwd,
      env: { PATH: '/usr/bin:/bin' },
    });
  }
}
