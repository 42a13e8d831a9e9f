import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { durationMs, hostPort, loadConfig, serverEnvShape, toServerConfig } from '@lzy/config';
import type { Env, ServerConfig } from '@lzy/config';
import type { PythonEnvironmentsConfig } from './env/python-environments.ts';

const pem = () => z.string().min(1, { error: 'expected a PEM key' });

const trustedKeys = () =>
  z.string().transform((raw, ctx) => {
    try {
      const parsed: unknown = JSON.parse(raw);
      const map = z.record(z.string().min(1), z.string().min(1)).parse(parsed);
      return map;
    } catch {
      ctx.issues.push({
        code: 'custom',
        message: 'expected a JSON object {"<jwt issuer>": "<PEM public key>"}',
        input: raw,
      });
      return z.NEVER;
    }
  });

const pythons = () =>
  z.string().transform((raw, ctx) => {
    try {
      const parsed: unknown = JSON.parse(raw);
      return z.record(z.string().regex(/^\d+\.\d+$/), z.string().min(1)).parse(parsed);
    } catch {
      ctx.issues.push({
        code: 'custom',
        message: 'expected a JSON object {"3.11": "/path/to/python3.11", …}',
        input: raw,
      });
      return z.NEVER;
    }
  });

/** Passed from the worker's environment to uv: index, proxy and TLS settings, never secrets of ours. */
const INSTALLER_PASSTHROUGH =
  /^(UV_[A-Z0-9_]+|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy)$/;

/** uv version installed by scripts/install-uv.sh; keep both in sync. */
const UV_VERSION = '0.13.9';

// Loose: the UV_* / proxy variables for the installer are picked from the rest of the environment.
const schema = z
  .looseObject({
    ...serverEnvShape({ port: 8136 }),
    /** Set by the allocator for a VM process: the worker registers and heartbeats (VM mode). */
    LZY_VM_ID: z.string().min(1).optional(),
    /** One-time register token of the VM (never passed to user commands). */
    LZY_VM_OTT: z.string().min(1).optional(),
    /** The VM's own key: outbound calls carry `iss=vm-<LZY_VM_ID>` tokens signed with it. */
    LZY_VM_PRIVATE_KEY: pem().optional(),
    LZY_ALLOCATOR_ADDRESS: hostPort().optional(),
    /** Inbound calls are authenticated by IAM; unset = only LZY_WORKER_TRUSTED_PUBLIC_KEYS. */
    LZY_IAM_ADDRESS: hostPort().optional(),
    LZY_CHANNEL_MANAGER_ADDRESS: hostPort().optional(),
    /**
     * Standalone mode (no IAM): issuers whose tokens are accepted, JSON `{"lzy-internal": PEM}`.
     * With neither this nor LZY_IAM_ADDRESS every call except the health check is refused.
     */
    LZY_WORKER_TRUSTED_PUBLIC_KEYS: trustedKeys().optional(),
    /** Standalone mode: key for outbound calls as `lzy-internal` (a VM uses LZY_VM_PRIVATE_KEY). */
    LZY_INTERNAL_PRIVATE_KEY: pem().optional(),
    /** Host put into slot URIs and the Register endpoint; default LZY_HOST. */
    LZY_WORKER_ADVERTISED_HOST: z.string().min(1).optional(),
    /** Per-VM directory holding `<taskId>/` (the task's LZY_MOUNT) with its slot files. */
    LZY_WORKER_MOUNT_DIR: z.string().min(1).optional(),
    /**
     * Run the TypeScript SDK's op calls in a warm Node host kept per VM (no process start per
     * op) instead of `bash -c <node op-runner.ts …>`; `false` starts a process per op.
     */
    LZY_WORKER_OP_HOST: z.stringbool().default(true),
    /**
     * Run Python start-up commands (python-client-protocol §4.4) as forks of one warm
     * interpreter per environment that imported the op runtime once, instead of a new
     * interpreter per op; `false` starts one per op.
     */
    LZY_WORKER_FORK_SERVER: z.stringbool().default(true),
    /**
     * Also copy what ops print to the worker's own stdout/stderr (the container log: `kubectl
     * logs` of a worker pod shows it, as with LZY). The worker image sets it; the local suite
     * keeps VM output apart from op output.
     */
    LZY_WORKER_OP_OUTPUT_TO_LOG: z.stringbool().default(false),
    /**
     * How an op that names an image (Operation.dockerImage) runs: `podman` (`podman run` with the
     * task's mount directory and local modules mounted, as LZY ran `docker run`), `none` (such
     * ops fail with rc 97 saying why: the worker image, whose pods cannot start containers),
     * `auto` (podman when it is on PATH, else none).
     */
    LZY_WORKER_OP_IMAGE_RUNTIME: z.enum(['auto', 'podman', 'none']).default('auto'),
    /** Extra `podman run` flags, space-separated (e.g. `--runtime runc` where crun fails). */
    LZY_WORKER_PODMAN_ARGS: z.string().default(''),
    /** podman's own configuration file; given to podman only, never to ops. */
    CONTAINERS_CONF: z.string().min(1).optional(),
    /** Stop: SIGTERM to the command's process group, SIGKILL after this long (ms). */
    LZY_WORKER_STOP_GRACE_MS: durationMs().default(5_000),
    /** Environment of user commands: a clean one, never the worker's own (it holds secrets). */
    PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
    HOME: z.string().optional(),
    LANG: z.string().default('C.UTF-8'),
    XDG_CACHE_HOME: z.string().min(1).optional(),
    /**
     * Interpreters for Python ops, JSON `{"3.11": "/usr/bin/python3.11"}` (minor → path). Unset:
     * discover `~/.pyenv/versions/X.Y.Z/bin/python`, then `python3.X` on PATH.
     */
    LZY_WORKER_PYTHONS: pythons().optional(),
    /** The uv binary; default the one scripts/install-uv.sh installs into the user cache. */
    LZY_WORKER_UV: z.string().min(1).optional(),
    /** Where op environments and local modules are cached, shared by the worker processes of a machine. */
    LZY_WORKER_ENV_CACHE_DIR: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.LZY_VM_ID === undefined) return;
    for (const name of ['LZY_VM_OTT', 'LZY_VM_PRIVATE_KEY', 'LZY_ALLOCATOR_ADDRESS'] as const) {
      if (env[name] === undefined)
        ctx.issues.push({
          code: 'custom',
          path: [name],
          message: 'required when LZY_VM_ID is set',
          input: undefined,
        });
    }
  })
  .transform((env) => {
    const cacheBase =
      env.XDG_CACHE_HOME ??
      (env.HOME === undefined
        ? path.join(os.tmpdir(), 'lzy-ts-cache')
        : path.join(env.HOME, '.cache'));
    const envCacheDir = env.LZY_WORKER_ENV_CACHE_DIR ?? path.join(cacheBase, 'lzy-ts', 'py-envs');
    const installerEnv: Record<string, string> = { PATH: env.PATH, LANG: env.LANG };
    for (const [name, value] of Object.entries(env))
      if (INSTALLER_PASSTHROUGH.test(name) && typeof value === 'string') installerEnv[name] = value;
    if (env.HOME !== undefined) installerEnv.HOME = env.HOME;
    if (env.XDG_CACHE_HOME !== undefined) installerEnv.XDG_CACHE_HOME = env.XDG_CACHE_HOME;
    // Without HOME uv has no cache directory of its own: keep it beside the environments.
    if (env.HOME === undefined && installerEnv.UV_CACHE_DIR === undefined)
      installerEnv.UV_CACHE_DIR = path.join(envCacheDir, 'uv-cache');
    return {
      server: toServerConfig(env),
      vm:
        env.LZY_VM_ID === undefined
          ? undefined
          : {
              vmId: env.LZY_VM_ID,
              ott: env.LZY_VM_OTT ?? '',
              privateKeyPem: env.LZY_VM_PRIVATE_KEY ?? '',
              allocatorAddress: env.LZY_ALLOCATOR_ADDRESS ?? '',
            },
      iamAddress: env.LZY_IAM_ADDRESS,
      channelManagerAddress: env.LZY_CHANNEL_MANAGER_ADDRESS,
      trustedPublicKeys: env.LZY_WORKER_TRUSTED_PUBLIC_KEYS ?? {},
      internalPrivateKeyPem: env.LZY_INTERNAL_PRIVATE_KEY,
      advertisedHost: env.LZY_WORKER_ADVERTISED_HOST ?? env.LZY_HOST,
      mountDir:
        env.LZY_WORKER_MOUNT_DIR ??
        path.join(os.tmpdir(), `lzy-worker-${env.LZY_VM_ID ?? `pid${process.pid}`}`),
      stopGraceMs: env.LZY_WORKER_STOP_GRACE_MS,
      opHost: env.LZY_WORKER_OP_HOST,
      opOutputToLog: env.LZY_WORKER_OP_OUTPUT_TO_LOG,
      opImages: {
        runtime: env.LZY_WORKER_OP_IMAGE_RUNTIME,
        podmanArgs: env.LZY_WORKER_PODMAN_ARGS.split(/\s+/).filter((a) => a !== ''),
        containersConf: env.CONTAINERS_CONF,
      },
      commandEnv: { PATH: env.PATH, HOME: env.HOME, LANG: env.LANG },
      python: {
        pythons: env.LZY_WORKER_PYTHONS,
        uvPath:
          env.LZY_WORKER_UV ?? path.join(cacheBase, 'lzy-ts', `uv-${UV_VERSION}`, 'bin', 'uv'),
        cacheDir: envCacheDir,
        installerEnv,
        home: env.HOME,
        path: env.PATH,
        forkServer: env.LZY_WORKER_FORK_SERVER,
      },
    };
  });

/** Present when the process runs as an allocated VM (LZY_VM_ID set). */
export interface VmIdentity {
  vmId: string;
  ott: string;
  privateKeyPem: string;
  allocatorAddress: string;
}

export interface WorkerConfig {
  server: ServerConfig;
  vm: VmIdentity | undefined;
  iamAddress: string | undefined;
  channelManagerAddress: string | undefined;
  /** JWT issuer → PEM public key, used when iamAddress is unset. */
  trustedPublicKeys: Record<string, string>;
  internalPrivateKeyPem: string | undefined;
  advertisedHost: string;
  mountDir: string;
  stopGraceMs: number;
  /** SDK op calls run in a warm op host (LZY_WORKER_OP_HOST). */
  opHost: boolean;
  /** Copy op output to the worker's own stdout/stderr too (container logs). */
  opOutputToLog: boolean;
  /** Ops that name an image: how they run (LZY_WORKER_OP_IMAGE_RUNTIME). */
  opImages: {
    runtime: 'auto' | 'podman' | 'none';
    podmanArgs: string[];
    containersConf: string | undefined;
  };
  /** PATH/LANG always, HOME if set (else the task directory). */
  commandEnv: { PATH: string; HOME: string | undefined; LANG: string };
  /** Python ops: interpreters, uv, the environment cache (python-client-protocol §4.6). */
  python: PythonEnvironmentsConfig;
}

/** Parses the worker environment once at start-up; throws ConfigError naming every bad variable. */
export function loadWorkerConfig(env: Env): WorkerConfig {
  return loadConfig(schema, env);
}
