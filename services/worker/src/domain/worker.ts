import { rmSync } from 'node:fs';
import {
  Cancelled,
  FailedPrecondition,
  InvalidArgument,
  NotFound,
  isDomainError,
} from '@lzy/errors';
import type { TraceContextFields } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { packMessage } from '@lzy/operations';
import type { InMemoryOperations as OperationRegistry, Operation } from '@lzy/operations';
import { worker } from '@lzy/proto';
import type { commonOperation } from '@lzy/proto';
import { startupCommandForRepeatedInputs } from './pylzy-startup-command.ts';
import { planSlots, taskDirectory } from './slot-plan.ts';
import { TaskRecord } from './task-record.ts';
import type { TaskEvent } from './task-record.ts';
import { taskSpan } from './task-spans.ts';
import { TaskRun } from './task-run.ts';
import { opImageOf } from './op-image.ts';
import type { TaskOutcome, TaskRunDeps, TaskRunSpec } from './task-run.ts';

export interface WorkerDomainDeps extends TaskRunDeps {
  operations: OperationRegistry;
  mountDir: string;
  /** The worker's `host:port` (known once the server is bound), put into slot URIs. */
  address: () => string;
}

export interface ExecuteTask {
  taskId: string;
  executionId: string;
  taskDesc: commonOperation.TaskDesc;
  portalAddress: string;
  /** Known senders of input channels (channel id → slot URI), from the scheduler. */
  inputSenders?: ReadonlyMap<string, string>;
  /** Which run of the task (scheduler retries); 0 or absent: 1. */
  attempt?: number;
  /**
   * The task's trace (Dispatch: from the scheduler); undefined: the active context (the
   * Execute call's).
   */
  traceContext?: TraceContextFields | undefined;
}

interface Owner {
  userId: string;
  workflowName: string;
}

/** Finished tasks whose std output is kept for WatchExecution (their outcome is kept longer). */
const RETAINED_STD_TASKS = 16;
/** Finished tasks whose outcome is kept, for a scheduler that reconnects (Dispatch resync). */
const RETAINED_TASKS = 4096;
/** ExecuteResponse.rc when LZY itself failed (reference §7.2). */
const RC_INTERNAL_ERROR = 98;

/**
 * The worker's rules (reference §7.2, with warm dispatch): one owner (user + workflow) per VM,
 * several tasks at once (the scheduler packs them by their needs), Execute idempotent per task
 * id, Stop kills, every task ends with one `finished`. Task events (started, exited, done) go to
 * the scheduler's Dispatch stream while one is attached.
 */
export class Worker {
  readonly #deps: WorkerDomainDeps;
  readonly #tasks = new Map<string, { record: TaskRecord; run?: TaskRun; attempt: number }>();
  readonly #listeners = new Set<(event: TaskEvent) => void>();
  #owner: Owner | undefined;

  constructor(deps: WorkerDomainDeps) {
    this.#deps = deps;
  }

  /**
   * Binds the VM to its owner; idempotent for the same user and workflow (executions of the
   * workflow come and go). @throws FailedPrecondition for another user or workflow
   */
  init(owner: Owner): void {
    const current = this.#owner;
    if (
      current !== undefined &&
      (current.userId !== owner.userId || current.workflowName !== owner.workflowName)
    )
      throw new FailedPrecondition(
        `this VM serves workflow ${current.workflowName} of user ${current.userId}; allocate another VM`,
      );
    this.#owner = { userId: owner.userId, workflowName: owner.workflowName };
  }

  /** The user this VM works for since Init; undefined before. */
  get userId(): string | undefined {
    return this.#owner?.userId;
  }

  /** Follows task events (Dispatch); returns the unsubscribe function. */
  onTaskEvent(listener: (event: TaskEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Every event of every task still known, in order per task (Dispatch resync). */
  knownEvents(): TaskEvent[] {
    return [...this.#tasks.values()].flatMap(({ record }) => record.events());
  }

  /**
   * Starts the task and returns its operation; the same task id returns the same operation.
   * @throws FailedPrecondition (no Init), InvalidArgument
   */
  execute(task: ExecuteTask, createdBy: string): Operation {
    const attempt = Math.max(1, task.attempt ?? 1);
    const existing = this.#tasks.get(task.taskId);
    if (existing !== undefined) {
      // A repeat (a resumed scheduler) gets the run there is; a retry after it ended runs anew.
      if (!(existing.record.isFinished && attempt > existing.attempt))
        return this.#deps.operations.get(existing.record.operationId);
      this.#tasks.delete(task.taskId);
    }
    if (this.#owner === undefined) throw new FailedPrecondition('call Init before Execute');
    const taskDir = taskDirectory(this.#deps.mountDir, task.taskId);
    if (existing !== undefined) rmSync(taskDir, { recursive: true, force: true });
    const { slots, repeatedInputs } = planSlots(task.taskDesc, {
      taskDir,
      address: this.#deps.address(),
      taskId: task.taskId,
    });
    const command = task.taskDesc.operation?.command ?? '';
    const pythonEnv = pythonEnvOf(task.taskDesc);
    const startupRewrite = startupRewriteOf(command, repeatedInputs, pythonEnv);
    const op = this.#deps.operations.create({
      description: `Execute task ${task.taskId}`,
      createdBy,
    });
    const traced = taskSpan(task);
    const record = new TaskRecord({
      taskId: task.taskId,
      executionId: task.executionId,
      operationId: op.id,
      onEvent: (event) => {
        traced.onEvent(event);
        for (const listener of this.#listeners) listener(event);
      },
    });
    const log = this.#deps.log.child({ taskId: task.taskId, executionId: task.executionId });
    const run = new TaskRun(
      { ...this.#deps, log },
      {
        taskId: task.taskId,
        executionId: task.executionId,
        command,
        taskDir,
        slots,
        portalAddress: task.portalAddress,
        inputSenders: task.inputSenders ?? new Map(),
        image: opImageOf(task.taskDesc),
        pythonEnv,
        startupRewrite,
      },
      record,
    );
    this.#tasks.set(task.taskId, { record, run, attempt });
    this.#forgetOldTasks();
    // The run's calls (channel manager, slots, portal) join the task's trace.
    void traced.span.run(() => this.#drive(run, record, log));
    return op;
  }

  /** Kills the task's command; idempotent, a no-op once it ended. @throws NotFound */
  stop(taskId: string, reason: string): void {
    const task = this.#tasks.get(taskId);
    if (task === undefined) throw new NotFound(`task ${taskId} is not known to this worker`);
    task.run?.stop(reason === '' ? 'stopped by the scheduler' : reason);
  }

  /** @throws NotFound */
  record(taskId: string): TaskRecord {
    const task = this.#tasks.get(taskId);
    if (task === undefined) throw new NotFound(`task ${taskId} is not known to this worker`);
    return task.record;
  }

  /** Stops every running task (worker shutdown) and waits for them to finish. */
  async stopAll(reason: string): Promise<void> {
    const running = [...this.#tasks.values()].filter((t) => !t.record.isFinished);
    for (const task of running) task.run?.stop(reason);
    await Promise.all(running.map((t) => this.#deps.operations.waitForDone(t.record.operationId)));
  }

  async #drive(run: TaskRun, record: TaskRecord, log: Logger): Promise<void> {
    const { operations } = this.#deps;
    let outcome: TaskOutcome;
    try {
      outcome = await run.run();
    } catch (err) {
      const reason = isDomainError(err) ? err.message : 'internal error';
      if (!isDomainError(err)) log.error({ err }, 'task failed unexpectedly');
      else log.warn({ err }, 'task did not complete');
      const stopped = err instanceof Cancelled;
      const rc = stopped ? (run.exit?.rc ?? RC_INTERNAL_ERROR) : RC_INTERNAL_ERROR;
      record.finish(rc, stopped ? `task stopped: ${reason}` : reason);
      operations.fail(record.operationId, {
        code: isDomainError(err) ? err.code : 'INTERNAL',
        message: reason,
      });
      return;
    }
    log.info({ rc: outcome.rc }, 'task finished');
    record.finish(outcome.rc, outcome.description);
    operations.complete(record.operationId, packMessage(worker.ExecuteResponse, outcome));
  }

  #forgetOldTasks(): void {
    const finished = [...this.#tasks.entries()].filter(([, t]) => t.record.isFinished);
    const forget = Math.max(0, finished.length - RETAINED_TASKS);
    for (const [taskId] of finished.slice(0, forget)) this.#tasks.delete(taskId);
    const old = finished.slice(forget, Math.max(forget, finished.length - RETAINED_STD_TASKS));
    for (const [, task] of old) {
      task.record.releaseStd();
      delete task.run; // its slot plan and buffers are no longer needed
    }
  }
}

/**
 * How the command must change for repeated input paths (slot-plan): undefined when none repeat.
 * @throws InvalidArgument if it is not pylzy's start-up command or has no Python environment
 */
function startupRewriteOf(
  command: string,
  repeatedInputs: ReadonlyMap<string, readonly string[]>,
  pythonEnv: TaskRunSpec['pythonEnv'],
): TaskRunSpec['startupRewrite'] {
  if (repeatedInputs.size === 0) return undefined;
  const startup = startupCommandForRepeatedInputs(command, repeatedInputs);
  if (pythonEnv === undefined)
    throw new InvalidArgument(
      "an op with repeated input slot paths needs a Python environment: its start-up payload is rewritten by the environment's interpreter",
    );
  return { ...startup, repeatedInputs };
}

/** The op's Python environment (public-api §3.9: EnvSpec.auxEnv.pyenv), if it has one. */
function pythonEnvOf(taskDesc: commonOperation.TaskDesc): TaskRunSpec['pythonEnv'] {
  const aux = taskDesc.operation?.env?.auxEnv?.env;
  if (aux?.$case !== 'pyenv') return undefined;
  return { yaml: aux.value.yaml, localModules: aux.value.localModules };
}
