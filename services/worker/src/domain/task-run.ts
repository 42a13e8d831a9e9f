import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Cancelled, FailedPrecondition } from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import { CommandProcess } from './command-process.ts';
import type { CommandExit } from './command-process.ts';
import { downloadInput } from './input-download.ts';
import type { ChannelManagerPort, SlotReaderPort, StdSinkPort, StdWriter } from './ports.ts';
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
}

export interface TaskRunSpec {
  taskId: string;
  executionId: string;
  command: string;
  taskDir: string;
  slots: PlannedSlot[];
  portalAddress: string;
}

/** How a task that ran ended: rc and description as in ExecuteResponse. */
export interface TaskOutcome {
  rc: number;
  description: string;
}

/**
 * One Execute: inputs downloaded completely, `bash -c <command>` with a clean environment, std
 * streamed to the record (WatchExecution) and the portal, outputs exposed and bound as senders
 * after exit 0. Stop kills the command's process group (SIGTERM, SIGKILL after the grace).
 */
export class TaskRun {
  readonly #deps: TaskRunDeps;
  readonly #spec: TaskRunSpec;
  readonly #record: TaskRecord;
  readonly #abort = new AbortController();
  #process: CommandProcess | undefined;
  #exit: CommandExit | undefined;

  constructor(deps: TaskRunDeps, spec: TaskRunSpec, record: TaskRecord) {
    this.#deps = deps;
    this.#spec = spec;
    this.#record = record;
  }

  /** @throws Cancelled if stopped; a DomainError if the task could not run (inputs, outputs) */
  async run(): Promise<TaskOutcome> {
    const { taskDir } = this.#spec;
    await mkdir(taskDir, { recursive: true });
    await this.#downloadInputs();
    for (const output of this.#outputs())
      await mkdir(path.dirname(output.filePath), { recursive: true });
    this.#abort.signal.throwIfAborted();
    const exit = await this.#runCommand();
    this.#abort.signal.throwIfAborted();
    // The description is the stderr tail only: the rc travels in its own field, and
    // graph-executor names it ("Task <op> failed: exit code <rc>: <description>").
    if (exit.rc !== 0) return { rc: exit.rc, description: this.#record.stderrTail() };
    await this.#exposeOutputs();
    return { rc: 0, description: 'Success' };
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

  async #downloadInputs(): Promise<void> {
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
          },
          this.#abort.signal,
        ),
      ),
    );
  }

  async #runCommand(): Promise<CommandExit> {
    const { taskId, executionId, taskDir, command, portalAddress } = this.#spec;
    const { PATH, HOME, LANG } = this.#deps.commandEnv;
    const child = new CommandProcess({
      command,
      cwd: taskDir,
      // Never the worker's own environment: it holds the VM key and token.
      env: {
        PATH,
        HOME: HOME ?? taskDir,
        LANG,
        LZY_MOUNT: taskDir,
        LZY_TASK_ID: taskId,
        LZY_EXECUTION_ID: executionId,
      },
    });
    this.#process = child;
    const writer =
      portalAddress === '' ? undefined : this.#deps.stdSink.open(portalAddress, taskId);
    this.#record.markStarted();
    this.#deps.log.info({ pid: child.pid }, 'command started');
    const pumps = Promise.all([
      this.#pump(child.stdout, 'stdout', writer),
      this.#pump(child.stderr, 'stderr', writer),
    ]);
    try {
      const exit = await child.exited;
      this.#exit = exit;
      // Whatever the command left running (holding our pipes) ends with it.
      child.killGroup('SIGKILL');
      await pumps;
      this.#deps.log.info({ rc: exit.rc, signal: exit.signal }, 'command exited');
      return exit;
    } finally {
      await writer?.close();
    }
  }

  async #pump(stream: Readable, name: StdStreamName, writer: StdWriter | undefined): Promise<void> {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      this.#record.appendStd(name, chunk);
      await writer?.write(name, chunk);
    }
  }

  async #exposeOutputs(): Promise<void> {
    const { taskId } = this.#spec;
    for (const output of this.#outputs()) {
      const info = await stat(output.filePath).catch(() => undefined);
      if (info?.isFile() !== true)
        throw new FailedPrecondition(
          `the command exited 0 but did not write output slot ${output.slot.name} ($LZY_MOUNT${output.slot.name})`,
        );
      this.#deps.slots.put({
        slotUri: output.slotUri,
        taskId,
        slot: output.slot,
        state: 'OPEN',
        pointer: info.size,
        connectedTo: '',
        filePath: output.filePath,
      });
      await this.#deps.channelManager.bind(
        { taskId, slot: output.slot, slotUri: output.slotUri, channelId: output.channelId },
        this.#abort.signal,
      );
    }
  }
}
