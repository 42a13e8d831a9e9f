import {
  Cancelled,
  FailedPrecondition,
  InvalidArgument,
  NotFound,
  isDomainError,
} from '@lzy/errors';
import type { Logger } from '@lzy/logging';
import { packMessage } from '@lzy/operations';
import type { InMemoryOperations as OperationRegistry, Operation } from '@lzy/operations';
import { worker } from '@lzy/proto';
import type { commonOperation } from '@lzy/proto';
import { startupCommandForRepeatedInputs } from './pylzy-startup-command.ts';
import { planSlots, taskDirectory } from './slot-plan.ts';
import { TaskRecord } from './task-record.ts';
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
}

interface Owner {
  userId: string;
  workflowName: string;
  executionId: string;
}

/** Finished tasks whose std output and exit code are kept for WatchExecution. */
const RETAINED_TASKS = 16;
/** ExecuteResponse.rc when LZY itself failed (reference §7.2). */
const RC_INTERNAL_ERROR = 98;

/**
 * The worker's rules (reference §7.2): one owner (user + workflow) per VM, one running task at a
 * time, Execute idempotent per task id, Stop kills, every task ends with one `finished`.
 */
export class Worker {
  readonly #deps: WorkerDomainDeps;
  readonly #tasks = new Map<string, { record: TaskRecord; run?: TaskRun }>();
  #owner: Owner | undefined;

  constructor(deps: WorkerDomainDeps) {
    this.#deps = deps;
  }

  /** Idempotent for the same execution. @throws FailedPrecondition (other owner, task running) */
  init(owner: Owner): void {
    const current = this.#owner;
    if (current !== undefined) {
      if (current.userId !== owner.userId || current.workflowName !== owner.workflowName)
        throw new FailedPrecondition(
          `this VM serves workflow ${current.workflowName} of user ${current.userId}; allocate another VM`,
        );
      const running = this.#running();
      if (running !== undefined && current.executionId !== owner.executionId)
        throw new FailedPrecondition(
          `task ${running.taskId} of execution ${current.executionId} is still running`,
        );
    }
    this.#owner = { ...owner };
  }

  /**
   * Starts the task and returns its operation; the same task id returns the same operation.
   * @throws FailedPrecondition (no Init, other execution, another task running), InvalidArgument
   */
  execute(task: ExecuteTask, createdBy: string): Operation {
    const existing = this.#tasks.get(task.taskId);
    if (existing !== undefined) return this.#deps.operations.get(existing.record.operationId);
    const owner = this.#owner;
    if (owner === undefined) throw new FailedPrecondition('call Init before Execute');
    if (owner.executionId !== task.executionId)
      throw new FailedPrecondition(
        `this worker is initialised for execution ${owner.executionId}, not ${task.executionId}`,
      );
    const running = this.#running();
    if (running !== undefined)
      throw new FailedPrecondition(`task ${running.taskId} is still running on this worker`);
    const taskDir = taskDirectory(this.#deps.mountDir, task.taskId);
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
    const record = new TaskRecord({ ...task, operationId: op.id });
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
        image: opImageOf(task.taskDesc),
        pythonEnv,
        startupRewrite,
      },
      record,
    );
    this.#tasks.set(task.taskId, { record, run });
    this.#forgetOldTasks();
    void this.#drive(run, record, log);
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

  #running(): TaskRecord | undefined {
    for (const { record } of this.#tasks.values()) if (!record.isFinished) return record;
    return undefined;
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
    for (const [taskId, task] of finished.slice(0, Math.max(0, finished.length - RETAINED_TASKS))) {
      if (task.record.isFinished) this.#tasks.delete(taskId);
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
