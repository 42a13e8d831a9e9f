import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Cancelled, FailedPrecondition } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import { CommandProcess } from './command-process.ts';
import type { CommandExit, RunningCommand } from './command-process.ts';
import { downloadInput } from './input-download.ts';
import { EnvironmentError } from '../env/environment-error.ts';
import type {
  ChannelManagerPort,
  PreparedPythonEnv,
  PythonEnvPort,
  SlotReaderPort,
  StdSinkPort,
  StdWriter,
} from './ports.ts';
import type { LocalOutputs } from './local-outputs.ts';
import type { OpHosts } from './op-hosts.ts';
import { opInImage, UnavailableOpRunner } from './op-image.ts';
import type { OpImageRunnerPort } from './op-image.ts';
import type { PlannedSlot } from './slot-plan.ts';
import type { SlotTable } from './slot-table.ts';
import type { StdStreamName, TaskRecord } from './task-record.ts';

export interface TaskRunDeps {
  channelManager: ChannelManagerPort;
  slotReader: SlotReaderPort;
  stdSink: StdSinkPort;
  slots: SlotTable;
  log: Logger;
  stopGraceMs: number;
  commandEnv: { PATH: string; HOME: string | undefined; LANG: string };
  pythonEnvs: PythonEnvPort;
  /** This worker's exposed outputs by channel: inputs of those channels are copied locally. */
  localOutputs: LocalOutputs;
  /** Warm hosts for the SDK's op calls; undefined: every command runs with `bash -c`. */
  opHosts: OpHosts | undefined;
  /** Runs ops that name an image (op-image.ts); undefined: such ops fail saying so. */
  opImages?: OpImageRunnerPort;
}

export interface TaskRunSpec {
  taskId: string;
  executionId: string;
  command: string;
  taskDir: string;
  slots: PlannedSlot[];
  portalAddress: string;
  /** Known senders of input channels (channel id → slot URI), read without the channel manager. */
  inputSenders: ReadonlyMap<string, string>;
  /** The image the op asks to run in (op-image.ts); undefined: on the worker itself. */
  image?: string | undefined;
  /** The op's Python environment (EnvSpec.auxEnv.pyenv); undefined: a plain command. */
  pythonEnv: { yaml: string; localModules: Array<{ name: string; uri: string }> } | undefined;
  /**
   * Set when input paths repeat for different data (slot-plan): `command` is pylzy's start-up
   * command, run with its payload rewritten so each occurrence reads its own file.
   */
  startupRewrite:
    | { prefix: string; payload: string; repeatedInputs: ReadonlyMap<string, readonly string[]> }
    | undefined;
}

/** ExecuteResponse.rc when the op's environment cannot be prepared (reference: Java's 97). */
export const RC_ENVIRONMENT_ERROR = 97;

/** How a task that ran ended: rc and description as in ExecuteResponse. */
export interface TaskOutcome {
  rc: number;
  description: string;
}

/**
 * One Execute: the Python environment prepared (Python ops) while inputs download completely,
 * `bash -c <command>` (an SDK op call: a call in the warm op host, OpHosts) with a clean
 * environment, std (installer output included) streamed to the
 * record (WatchExecution) and the portal, outputs exposed and bound as senders after exit 0.
 * Stop kills the command's process group (SIGTERM, SIGKILL after the grace).
 */
export class TaskRun {
  readonly #deps: TaskRunDeps;
  readonly #spec: TaskRunSpec;
  readonly #record: TaskRecord;
  readonly #abort = new AbortController();
  #process: RunningCommand | undefined;
  #exit: CommandExit | undefined;
  #writer: StdWriter | undefined;

  constructor(deps: TaskRunDeps, spec: TaskRunSpec, record: TaskRecord) {
    this.#deps = deps;
    this.#spec = spec;
    this.#record = record;
  }

  /** @throws Cancelled if stopped; a DomainError if the task could not run (inputs, outputs) */
  async run(): Promise<TaskOutcome> {
    const { taskDir, portalAddress, taskId } = this.#spec;
    await mkdir(taskDir, { recursive: true });
    this.#writer =
      portalAddress === '' ? undefined : this.#deps.stdSink.open(portalAddress, taskId);
    try {
      const prepared = await this.#prepare();
      if ('rc' in prepared) return prepared;
      for (const output of this.#outputs())
        await mkdir(path.dirname(output.filePath), { recursive: true });
      this.#abort.signal.throwIfAborted();
      const exit = await this.#runCommand(prepared.env, prepared.command);
      // Its std is complete: the portal's answer is awaited while the outputs are bound.
      const stdClosed = this.#writer?.close();
      this.#abort.signal.throwIfAborted();
      // The description is the stderr tail only: the rc travels in its own field, and
      // graph-executor names it ("Task <op> failed: exit code <rc>: <description>").
      if (exit.rc !== 0) return { rc: exit.rc, description: this.#record.stderrTail() };
      await Promise.all([this.#exposeOutputs(), stdClosed]);
      return { rc: 0, description: 'Success' };
    } finally {
      await this.#writer?.close();
    }
  }

  /** The command's exit, once it ran and ended. */
  get exit(): CommandExit | undefined {
    return this.#exit;
  }

  /** Stops the task: aborts downloads, kills the command's group. Idempotent. */
  stop(reason: string): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort(new Cancelled(reason));
    const child = this.#process;
    if (child === undefined) return;
    child.killGroup('SIGTERM');
    const timer = setTimeout(() => child.killGroup('SIGKILL'), this.#deps.stopGraceMs);
    timer.unref();
    void child.exited.finally(() => clearTimeout(timer)).catch(() => undefined);
  }

  #outputs(): PlannedSlot[] {
    return this.#spec.slots.filter((s) => s.direction === 'OUTPUT');
  }

  /**
   * Inputs and (Python ops) the environment, concurrently. An environment error stops the
   * downloads and becomes the task's outcome (rc 97, also written to the op's stderr).
   */
  async #prepare(): Promise<{ env: PreparedPythonEnv | undefined; command: string } | TaskOutcome> {
    const { pythonEnv, startupRewrite } = this.#spec;
    let command = this.#spec.command;
    if (pythonEnv === undefined) {
      await this.#downloadInputs(this.#abort.signal);
      return { env: undefined, command };
    }
    // Installing is part of running the op: the scheduler shows it as executing.
    this.#record.markStarted();
    const envFailed = new AbortController();
    const inputs = this.#downloadInputs(AbortSignal.any([this.#abort.signal, envFailed.signal]));
    inputs.catch(() => undefined);
    let env: PreparedPythonEnv;
    try {
      env = await this.#deps.pythonEnvs.prepare(
        pythonEnv,
        (data) => this.#std('stderr', data),
        this.#abort.signal,
      );
      if (startupRewrite !== undefined) {
        const { prefix, payload, repeatedInputs } = startupRewrite;
        const rewritten = await this.#deps.pythonEnvs.rewriteStartupPayload(
          env,
          payload,
          repeatedInputs,
          this.#abort.signal,
        );
        command = `${prefix}${rewritten}`;
      }
    } catch (err) {
      envFailed.abort(err);
      await inputs.catch(() => undefined);
      this.#abort.signal.throwIfAborted();
      if (!(err instanceof EnvironmentError)) throw err;
      const description = `Failed to prepare the Python environment of the op: ${err.message}`;
      this.#deps.log.warn({ reason: err.message }, 'python environment failed');
      await this.#std('stderr', Buffer.from(`[LZY-WORKER] ${description}\n`));
      return { rc: RC_ENVIRONMENT_ERROR, description };
    }
    await inputs;
    return { env, command };
  }

  async #downloadInputs(signal: AbortSignal): Promise<void> {
    const { taskId } = this.#spec;
    const inputs = this.#spec.slots.filter((s) => s.direction === 'INPUT');
    await Promise.all(
      inputs.map((input) =>
        downloadInput(
          this.#deps,
          {
            instance: {
              taskId,
              slot: input.slot,
              slotUri: input.slotUri,
              channelId: input.channelId,
            },
            filePath: input.filePath,
            // The scheduler's (a producer that exited) first, else the one planned (stored data).
            knownSender: this.#spec.inputSenders.get(input.channelId) ?? input.plannedSender,
          },
          signal,
        ),
      ),
    );
  }

  /** One std chunk to the record (WatchExecution) and the portal. */
  async #std(name: StdStreamName, data: Buffer): Promise<void> {
    this.#record.appendStd(name, data);
    await this.#writer?.write(name, data);
  }

  async #runCommand(
    pythonEnv: PreparedPythonEnv | undefined,
    command: string,
  ): Promise<CommandExit> {
    const { taskId, executionId, taskDir } = this.#spec;
    const { PATH, HOME, LANG } = this.#deps.commandEnv;
    // Never the worker's own environment: it holds the VM key and token.
    const env: Record<string, string> = {
      PATH: [...(pythonEnv?.pathPrefix ?? []), PATH].join(':'),
      HOME: HOME ?? taskDir,
      LANG,
      LZY_MOUNT: taskDir,
      LZY_TASK_ID: taskId,
      LZY_EXECUTION_ID: executionId,
      ...(pythonEnv?.localModulesDir === undefined
        ? {}
        : { LOCAL_MODULES: pythonEnv.localModulesDir }),
    };
    const { image } = this.#spec;
    const opHosts = pythonEnv === undefined && image === undefined ? this.#deps.opHosts : undefined;
    const sdkOp = await opHosts?.recognize(command);
    this.#abort.signal.throwIfAborted();
    // A Python start-up command: a fork of the environment's warm interpreter, when it has one.
    const forked =
      pythonEnv === undefined || image !== undefined
        ? undefined
        : this.#deps.pythonEnvs.launch(command, { env, cwd: taskDir });
    const child: RunningCommand =
      image !== undefined
        ? this.#startInImage(image, command, env, pythonEnv)
        : (forked ??
          (opHosts === undefined || sdkOp === undefined
            ? new CommandProcess({ command, cwd: taskDir, env })
            : opHosts.start(sdkOp, { env, cwd: taskDir })));
    this.#process = child;
    this.#record.markStarted();
    this.#deps.log.info(
      { pid: child.pid, warmHost: sdkOp !== undefined, forked: forked !== undefined },
      'command started',
    );
    const pumps = Promise.all([
      this.#pump(child.stdout, 'stdout'),
      this.#pump(child.stderr, 'stderr'),
    ]);
    const exit = await child.exited;
    this.#exit = exit;
    // Whatever the command left running (holding our pipes) ends with it.
    child.killLeftovers();
    await pumps;
    this.#deps.log.info({ rc: exit.rc, signal: exit.signal }, 'command exited');
    return exit;
  }

  /** Issue 15: an op that names an image runs inside it, with the image's PATH and HOME. */
  #startInImage(
    image: string,
    command: string,
    env: Record<string, string>,
    pythonEnv: PreparedPythonEnv | undefined,
  ): RunningCommand {
    const { PATH: _path, HOME: _home, ...opEnv } = env;
    const runner = this.#deps.opImages ?? new UnavailableOpRunner('no image runner is configured');
    return runner.start(
      opInImage({
        image,
        command,
        cwd: this.#spec.taskDir,
        env: opEnv,
        localModulesDir: pythonEnv?.localModulesDir,
      }),
    );
  }

  async #pump(stream: Readable, name: StdStreamName): Promise<void> {
    for await (const chunk of stream as AsyncIterable<Buffer>) await this.#std(name, chunk);
  }

  /** Every output checked first (a missing one fails the task before any is bound), then bound. */
  async #exposeOutputs(): Promise<void> {
    const { taskId } = this.#spec;
    const outputs = await Promise.all(
      this.#outputs().map(async (output) => {
        const info = await stat(output.filePath).catch(() => undefined);
        if (info?.isFile() !== true)
          throw new FailedPrecondition(
            `the command exited 0 but did not write output slot ${output.slot.name} ($LZY_MOUNT${output.slot.name})`,
          );
        return { output, sizeBytes: info.size };
      }),
    );
    // Served here at once (slot table, local copies), announced as exited so the scheduler can
    // start consumers, then bound at the channel manager (the portal's copy to S3, fallbacks).
    for (const { output, sizeBytes } of outputs) {
      this.#deps.slots.put({
        slotUri: output.slotUri,
        taskId,
        slot: output.slot,
        state: 'OPEN',
        pointer: sizeBytes,
        connectedTo: '',
        filePath: output.filePath,
      });
      this.#deps.localOutputs.add(output.channelId, {
        slotUri: output.slotUri,
        filePath: output.filePath,
        sizeBytes,
      });
    }
    this.#record.markExited(
      outputs.map(({ output, sizeBytes }) => ({
        channelId: output.channelId,
        slotUri: output.slotUri,
        sizeBytes,
      })),
    );
    await Promise.all(
      outputs.map(({ output }) =>
        this.#deps.channelManager.bind(
          { taskId, slot: output.slot, slotUri: output.slotUri, channelId: output.channelId },
          this.#abort.signal,
        ),
      ),
    );
  }
}
