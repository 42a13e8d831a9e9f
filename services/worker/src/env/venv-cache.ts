import { createHash } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@lzy/logging';
import { EnvironmentError } from './environment-error.ts';
import { describeInstallerFailure } from './installer-errors.ts';
import { runInstaller } from './installer-process.ts';
import type { OutputSink } from './installer-process.ts';
import type { Interpreter } from './interpreters.ts';
import { probeProtobuf } from './protobuf-probe.ts';
import { ensureReadyDir } from './ready-dir.ts';

/** Bumped when an overlay's layout changes, so older overlays are not reused. */
const OVERLAY_LAYOUT = 'lzy-ts-overlay-2';

/** The op's LOCAL_MODULES, appended to sys.path at start (same place as §5.1 step 2 puts it). */
const LOCAL_MODULES_PTH =
  "import os, sys; p = os.environ.get('LOCAL_MODULES'); p and p not in sys.path and sys.path.append(p)\n";

/** A built virtual environment. */
export interface Venv {
  dir: string;
  binDir: string;
  /** `site.getsitepackages()[0]` of its python: where the §4.4 command looks for lzy/. */
  sitePackages: string;
}

interface VenvMarker {
  interpreter: string;
  requirements: string[];
  sitePackages: string;
  builtAt: string;
  /** Overlays only: the base environment whose packages it sees. */
  base?: string;
}

export interface VenvCacheDeps {
  /** Root of the cache (LZY_WORKER_ENV_CACHE_DIR); environments live in `<root>/<key>`. */
  cacheDir: string;
  uvPath: string;
  /** Environment of uv and the interpreter: clean, no worker secrets. */
  installerEnv: Record<string, string>;
  log: Logger;
}

/** What one preparation reports back: the venv and whether this call built it. */
export interface VenvResult {
  venv: Venv;
  built: boolean;
}

/**
 * Virtual environments built with uv, cached by key in the cache directory and shared by every
 * worker process on the machine (ensureReadyDir). Known-complete environments are remembered in
 * memory, so a warm lookup does no I/O at all.
 */
export class VenvCache {
  readonly #deps: VenvCacheDeps;
  readonly #known = new Map<string, Venv>();

  constructor(deps: VenvCacheDeps) {
    this.#deps = deps;
  }

  /**
   * The environment `key`: `uv venv` of the interpreter + `uv pip install` of the requirements,
   * installer output streamed to `output`.
   * @throws EnvironmentError when uv fails (with its last lines)
   */
  async base(
    request: { key: string; interpreter: Interpreter; requirements: string[] },
    output: OutputSink,
    signal: AbortSignal,
  ): Promise<VenvResult> {
    const { key, interpreter, requirements } = request;
    const label = `Python ${interpreter.minor} environment ${key}`;
    return this.#ensure(key, label, output, signal, async (dir) => {
      await this.#uvVenv(dir, interpreter, output, signal);
      if (requirements.length > 0) {
        const file = path.join(dir, 'lzy-requirements.txt');
        await writeFile(file, `${requirements.join('\n')}\n`);
        const python = path.join(dir, 'bin', 'python');
        // The pins are also overrides: pylzy pins the client's installed versions, which pip
        // may have installed despite a dependent's narrower range; they must win, as there.
        await this.#run('uv pip install', this.#deps.uvPath, {
          args: ['pip', 'install', '--python', python, '-r', file, '--override', file],
          output,
          signal,
        });
      }
      return {
        interpreter: interpreter.path,
        requirements,
        sitePackages: await this.#sitePackages(dir, signal),
        builtAt: new Date().toISOString(),
      };
    });
  }

  /**
   * An overlay of `base` whose first site-packages holds copies of the client's `lzy`/`ai`
   * packages (python-client-protocol §5.2 b) and sees base's packages through a `.pth` file: the
   * shared base stays untouched, so clients with another lzy version get another overlay.
   *
   * Two more things the start-up's first import needs (§5.2), both added here:
   * - the client's other shipped modules (pylzy ships `yaml`, `jwt`, `typing_extensions.py` instead
   *   of pinning them): a last `.pth` appends the op's `LOCAL_MODULES` to the end of `sys.path`
   *   when the interpreter starts, where the start-up script would put it a moment later (§5.1
   *   step 2), so they import before that step and nothing shadows site-packages;
   * - `google.rpc` (googleapis-common-protos), which pylzy's stubs import but its environment
   *   never pins: installed into the overlay, in the newest release uv finds compatible with the
   *   environment's protobuf, when the environment has protobuf but not `google.rpc`.
   * @throws EnvironmentError if a step fails
   */
  async overlay(
    request: { base: Venv; interpreter: Interpreter; packagesKey: string; packageDirs: string[] },
    output: OutputSink,
    signal: AbortSignal,
  ): Promise<VenvResult> {
    const { base, interpreter, packageDirs } = request;
    const key = createHash('sha256')
      .update(`${OVERLAY_LAYOUT}:${path.basename(base.dir)}:${request.packagesKey}`)
      .digest('hex')
      .slice(0, 24);
    const label = `lzy packages for environment ${path.basename(base.dir)} (${key})`;
    return this.#ensure(key, label, output, signal, async (dir) => {
      await this.#uvVenv(dir, interpreter, undefined, signal);
      const sitePackages = await this.#sitePackages(dir, signal);
      for (const source of packageDirs)
        await cp(source, path.join(sitePackages, path.basename(source)), {
          recursive: true,
          dereference: true,
        });
      // Lines starting with `import` run at start-up, in the order of the file names:
      // addsitedir also processes base's .pth files (protobuf's `google` namespace among them).
      await writeFile(
        path.join(sitePackages, '_lzy_ts_base_env.pth'),
        `import site; site.addsitedir(${JSON.stringify(base.sitePackages)})\n`,
      );
      await writeFile(path.join(sitePackages, 'zz_lzy_ts_local_modules.pth'), LOCAL_MODULES_PTH);
      await this.#supplyGoogleRpc(dir, output, signal);
      return {
        interpreter: interpreter.path,
        requirements: [],
        sitePackages,
        builtAt: new Date().toISOString(),
        base: base.dir,
      };
    });
  }

  /** Installs googleapis-common-protos into the venv `dir` when protobuf is there without it. */
  async #supplyGoogleRpc(dir: string, output: OutputSink, signal: AbortSignal): Promise<void> {
    const python = path.join(dir, 'bin', 'python');
    const probe = await probeProtobuf(python, this.#deps.installerEnv, signal);
    if (probe.protobuf === null || probe.googleRpc) return;
    const wanted = path.join(dir, 'lzy-google-rpc.in');
    const resolved = path.join(dir, 'lzy-google-rpc.txt');
    await writeFile(wanted, `googleapis-common-protos\nprotobuf==${probe.protobuf}\n`);
    await this.#run('uv pip compile (googleapis-common-protos)', this.#deps.uvPath, {
      args: [
        'pip',
        'compile',
        '--quiet',
        '--no-header',
        '--python',
        python,
        wanted,
        '-o',
        resolved,
      ],
      output: undefined,
      signal,
    });
    const pin = /^googleapis-common-protos==\S+/m.exec(await readFile(resolved, 'utf8'))?.[0];
    if (pin === undefined)
      throw new EnvironmentError(
        `no googleapis-common-protos release works with protobuf ${probe.protobuf}; ` +
          "pylzy's start-up imports google.rpc: pin googleapis-common-protos in the op's libraries",
      );
    await output(
      Buffer.from(
        `[LZY-WORKER] the environment has protobuf ${probe.protobuf} but no google.rpc, which ` +
          `lzy's generated stubs import: adding ${pin}\n`,
      ),
    );
    await this.#run('uv pip install (googleapis-common-protos)', this.#deps.uvPath, {
      args: ['pip', 'install', '--python', python, '--no-deps', pin],
      output,
      signal,
    });
  }

  async #ensure(
    key: string,
    label: string,
    output: OutputSink,
    signal: AbortSignal,
    build: (dir: string) => Promise<VenvMarker>,
  ): Promise<VenvResult> {
    const known = this.#known.get(key);
    if (known !== undefined) return { venv: known, built: false };
    const dir = path.join(this.#deps.cacheDir, key);
    const started = Date.now();
    const { data, built } = await ensureReadyDir(
      dir,
      {
        build,
        onBuild: () => output(Buffer.from(`[LZY-WORKER] preparing ${label}\n`)),
        onWait: () =>
          output(Buffer.from(`[LZY-WORKER] waiting for ${label}, prepared by another task\n`)),
      },
      signal,
    );
    const venv = { dir, binDir: path.join(dir, 'bin'), sitePackages: data.sitePackages };
    this.#known.set(key, venv);
    this.#deps.log.info(
      { key, built, elapsedMs: Date.now() - started },
      'python environment ready',
    );
    return { venv, built };
  }

  async #uvVenv(
    dir: string,
    interpreter: Interpreter,
    output: OutputSink | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    await this.#run('uv venv', this.#deps.uvPath, {
      args: ['venv', '--no-project', '--allow-existing', '--python', interpreter.path, dir],
      output,
      signal,
    });
  }

  async #sitePackages(dir: string, signal: AbortSignal): Promise<string> {
    let printed = '';
    const { rc, tail } = await runInstaller({
      file: path.join(dir, 'bin', 'python'),
      args: ['-c', 'import site; print(site.getsitepackages()[0])'],
      env: this.#deps.installerEnv,
      cwd: dir,
      output: (data) => Promise.resolve(void (printed += data.toString('utf8'))),
      signal,
    });
    const sitePackages = printed.trim().split('\n').at(-1) ?? '';
    if (rc !== 0 || sitePackages === '')
      throw new EnvironmentError(`the new environment's python does not start:\n${tail}`);
    return sitePackages;
  }

  async #run(
    what: string,
    file: string,
    step: { args: string[]; output: OutputSink | undefined; signal: AbortSignal },
  ): Promise<void> {
    const { rc, tail } = await runInstaller({
      file,
      args: step.args,
      env: this.#deps.installerEnv,
      cwd: this.#deps.cacheDir,
      output: step.output,
      signal: step.signal,
    });
    if (rc !== 0)
      throw new EnvironmentError(
        describeInstallerFailure({ what, rc, tail }, this.#deps.installerEnv),
      );
  }
}
