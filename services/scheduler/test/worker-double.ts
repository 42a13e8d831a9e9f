import { EventEmitter, on } from 'node:events';
import { FailedPrecondition, NotFound } from '@lzy/errors';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { CallContext, GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { worker } from '@lzy/proto';

interface DoubleTask {
  executeCalls: number;
  idempotencyKey: string | undefined;
  request: worker.ExecuteRequest;
  started: boolean;
  finished?: { rc: number; description: string };
}

/**
 * A test double of OUR worker's internal API over real grpc-js (one instance = one VM): Init,
 * Execute (idempotent on task id), Stop, WatchExecution (replays started/finished, then pushes);
 * the test starts and finishes tasks.
 */
export class WorkerDouble {
  readonly initCalls: worker.InitRequest[] = [];
  readonly stopCalls: worker.StopRequest[] = [];
  readonly tasks = new Map<string, DoubleTask>();
  readonly #changes = new EventEmitter();
  #server: GrpcServer | undefined;

  get address(): string {
    if (this.#server === undefined) throw new Error('worker double not started');
    return `127.0.0.1:${this.#server.port}`;
  }

  async start(log: Logger): Promise<void> {
    this.#server = await startGrpcServer({
      name: 'worker-double',
      port: 0,
      log,
      shutdownGraceMs: 100,
      services: [
        implement(
          worker.WorkerServiceService,
          {
            init: (req) => {
              this.initCalls.push(req);
              return Promise.resolve({});
            },
            execute: (req, ctx) => Promise.resolve(this.#execute(req, ctx)),
            stop: (req) => {
              this.stopCalls.push(req);
              this.finish(req.taskId, 143, `stopped: ${req.reason}`);
              return Promise.resolve({});
            },
            watchExecution: (req, ctx, send) => this.#watch(req.taskId, ctx, send),
          },
          { auth: 'none' },
        ),
      ],
    });
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }

  /** The task's command starts running. */
  startTask(taskId: string): void {
    this.#task(taskId).started = true;
    this.#changes.emit(taskId);
  }

  /** The task's command exits with `rc`. */
  finish(taskId: string, rc: number, description = ''): void {
    const task = this.tasks.get(taskId);
    if (task === undefined || task.finished !== undefined) return;
    task.started = true;
    task.finished = { rc, description };
    this.#changes.emit(taskId);
  }

  #task(taskId: string): DoubleTask {
    const task = this.tasks.get(taskId);
    if (task === undefined) throw new Error(`worker double never got task ${taskId}`);
    return task;
  }

  #execute(req: worker.ExecuteRequest, ctx: CallContext) {
    if (this.initCalls.at(-1)?.executionId !== req.executionId) {
      throw new FailedPrecondition('Init was not called for this execution');
    }
    const known = this.tasks.get(req.taskId);
    if (known !== undefined) known.executeCalls++;
    else {
      this.tasks.set(req.taskId, {
        executeCalls: 1,
        idempotencyKey: ctx.idempotencyKey,
        request: req,
        started: false,
      });
    }
    return { id: `exec-${req.taskId}`, description: 'execute', createdBy: '', done: false };
  }

  async #watch(
    taskId: string,
    ctx: CallContext,
    send: (res: worker.WatchExecutionResponse) => Promise<void>,
  ): Promise<void> {
    if (!this.tasks.has(taskId)) throw new NotFound(`task ${taskId} not found`);
    const changes = on(this.#changes, taskId, { signal: ctx.signal });
    let sentStarted = false;
    const sendNew = async (): Promise<boolean> => {
      const task = this.#task(taskId);
      if (task.started && !sentStarted) {
        sentStarted = true;
        await send({ event: { $case: 'started', value: {} } });
      }
      if (task.finished === undefined) return false;
      await send({ event: { $case: 'finished', value: task.finished } });
      return true;
    };
    if (await sendNew()) return;
    for await (const _ of changes) if (await sendNew()) return;
  }
}
