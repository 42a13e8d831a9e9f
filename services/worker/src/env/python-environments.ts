import path from 'node:path';
import type { Logger } from '@lzy/logging';
import type { RunningCommand } from '../domain/command-process.ts';
import type { PreparedPythonEnv, PythonEnvPort } from '../domain/ports.ts';
import { ForkServers } from '../python/fork-servers.ts';
import type { CommandCall } from '../python/fork-servers.ts';
import { chooseInterpreter, discoverInterpreters } from './interpreters.ts';
import type { InterpreterMap } from './interpreters.ts';
import { LocalModules } from './local-modules.ts';
import type { LocalModuleRef, PreparedModules } from './local-modules.ts';
import type { OutputSink } from './installer-process.ts';
import { parsePythonEnv, pythonEnvKey } from './python-env-spec.ts';
import { checkStartupImport } from './startup-import-check.ts';
import { rewriteStartupPayload } from './startup-payload.ts';
import { VenvCache } from './venv-cache.ts';
import type { VenvResult } from './venv-cache.ts';

export interface PythonEnvironmentsConfig {
  /** LZY_WORKER_PYTHONS: minor → interpreter; undefined = discover. */
  pythons: Readonly<Record<string, string>> | undefined;
  uvPath: string;
  cacheDir: string;
  /** uv's and the interpreter's environment: PATH, HOME, proxies, UV_*; never worker secrets. */
  installerEnv: Readonly<Record<string, string>>;
  /** For discovery: `~/.pyenv/versions` and PATH. */
  home: string | undefined;
  path: string;
  /** Start-up commands run as forks of a warm interpreter per environment (LZY_WORKER_FORK_SERVER). */
  forkServer: boolean;
}

/**
 * The worker's Python environments (python-client-protocol §4.6 steps 1–2): the interpreter of
 * the requested minor version, a uv virtual environment with the YAML's pip pins cached by
 * content hash (VenvCache), the local modules unpacked into one directory (LocalModules), and,
 * when the client ships its own `lzy`/`ai` packages, an overlay environment that has them in
 * its first site-packages. Base environment and local modules are prepared concurrently.
 */
export class PythonEnvironments implements PythonEnvPort {
  readonly #config: PythonEnvironmentsConfig;
  readonly #venvs: VenvCache;
  readonly #modules: LocalModules;
  readonly #installerEnv: Record<string, string>;
  #interpreters: Promise<InterpreterMap> | undefined;
  /** `<overlay dir>\n<local modules dir>` pairs whose start-up import succeeded. */
  readonly #checked = new Set<string>();
  /** undefined: every command runs with bash. */
  readonly #forkServers: ForkServers | undefined;

  constructor(config: PythonEnvironmentsConfig, deps: { log: Logger }) {
    this.#config = config;
    // Machines behind a TLS-intercepting proxy trust its CA in the system store only: uv's own
    // (webpki) roots fail there with `invalid peer certificate: UnknownIssuer`. SSL_CERT_FILE /
    // SSL_CERT_DIR still win when set, and the worker's own UV_SYSTEM_CERTS overrides this.
    this.#installerEnv = {
      UV_SYSTEM_CERTS: 'true',
      ...config.installerEnv,
      UV_PYTHON_DOWNLOADS: 'never',
    };
    this.#venvs = new VenvCache({
      cacheDir: config.cacheDir,
      uvPath: config.uvPath,
      installerEnv: this.#installerEnv,
      log: deps.log.child({ component: 'python-envs' }),
    });
    this.#modules = new LocalModules({
      root: path.join(config.cacheDir, 'local-modules'),
      installerEnv: this.#installerEnv,
    });
    this.#forkServers = config.forkServer ? new ForkServers({ log: deps.log }) : undefined;
  }

  async prepare(
    env: { yaml: string; localModules: LocalModuleRef[] },
    output: OutputSink,
    signal: AbortSignal,
  ): Promise<PreparedPythonEnv> {
    const spec = parsePythonEnv(env.yaml);
    const interpreter = chooseInterpreter(
      await this.#available(),
      spec,
      this.#config.pythons !== undefined,
    );
    const key = pythonEnvKey(spec.requirements, interpreter);
    const both = new AbortController();
    const linked = AbortSignal.any([signal, both.signal]);
    const basePromise = this.#venvs.base(
      { key, interpreter, requirements: spec.requirements },
      output,
      linked,
    );
    const modulesPromise = this.#modules.prepare(env.localModules, interpreter.path, linked);
    let base: VenvResult;
    let modules: PreparedModules | undefined;
    try {
      [base, modules] = await Promise.all([basePromise, modulesPromise]);
    } catch (err) {
      // One failed: stop the other and wait for it, so nothing keeps running after we return.
      both.abort(err);
      await Promise.allSettled([basePromise, modulesPromise]);
      throw err;
    }
    const lzy = modules?.lzyPackages;
    if (lzy === undefined || lzy.dirs.length === 0)
      return {
        python: path.join(base.venv.binDir, 'python'),
        pathPrefix: [base.venv.binDir],
        localModulesDir: modules?.dir,
      };
    const overlay = await this.#venvs.overlay(
      { base: base.venv, interpreter, packagesKey: lzy.key, packageDirs: lzy.dirs },
      output,
      signal,
    );
    const python = path.join(overlay.venv.binDir, 'python');
    const checked = `${overlay.venv.dir}\n${modules?.dir ?? ''}`;
    if (!this.#checked.has(checked)) {
      await checkStartupImport(
        {
          python,
          localModulesDir: modules?.dir,
          requirements: spec.requirements,
          env: this.#installerEnv,
        },
        output,
        signal,
      );
      this.#checked.add(checked);
    }
    return {
      python,
      pathPrefix: [overlay.venv.binDir, base.venv.binDir],
      localModulesDir: modules?.dir,
    };
  }

  rewriteStartupPayload(
    env: PreparedPythonEnv,
    payload: string,
    repeatedInputs: ReadonlyMap<string, readonly string[]>,
    signal: AbortSignal,
  ): Promise<string> {
    const { PATH = '', HOME, LANG = 'C.UTF-8' } = this.#installerEnv;
    const opEnv: Record<string, string> = {
      PATH: [...env.pathPrefix, PATH].join(':'),
      LANG,
      ...(HOME === undefined ? {} : { HOME }),
      ...(env.localModulesDir === undefined ? {} : { LOCAL_MODULES: env.localModulesDir }),
    };
    const forkServers = this.#forkServers;
    const fork =
      forkServers === undefined
        ? undefined
        : (code: string, args: string[]) =>
            forkServers.runCode(code, args, { env: opEnv, cwd: '/' }, signal);
    return rewriteStartupPayload(
      { python: env.python, env: opEnv, payload, repeatedInputs, fork },
      signal,
    );
  }

  launch(command: string, call: CommandCall): RunningCommand | undefined {
    return this.#forkServers?.launch(command, call);
  }

  /** Stops the fork servers (worker shutdown). Idempotent. */
  async stop(): Promise<void> {
    await this.#forkServers?.stop();
  }

  #available(): Promise<InterpreterMap> {
    return (this.#interpreters ??= discoverInterpreters({
      configured: this.#config.pythons,
      home: this.#config.home,
      path: this.#config.path,
    }));
  }
}
