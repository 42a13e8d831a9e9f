import { FailedPrecondition } from '@lzy/errors';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { CallContext, GrpcServer, Send } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { worker } from '@lzy/proto';

/** A task the double was sent, with what the test made of it. */
export interface DoubleTask {
  run: worker.DispatchRequest_Run;
  /** Run messages received for it (a re-sent run after a reconnect counts). */
  runs: number;
  events: worker.DispatchEvent[];
}

/**
 * A test double of OUR worker's Dispatch stream over real grpc-js (one instance = one VM): it
 * records attach, runs and stops; the test makes tasks start, exit and end, or sets `auto` to
 * end every task at once with rc 0 (exited with one output per OUTPUT channel, then done). A
 * new stream replaces the previous one and gets every event so far (resync), as the worker does.
 */
export class WorkerDouble {
  readonly attaches: worker.DispatchRequest_Attach[] = [];
  readonly stops: worker.DispatchRequest_Stop[] = [];
  readonly tasks = new Map<string, DoubleTask>();
  /** Refuse owners other than the first, as a worker bound to a session does. */
  auto = false;
  #send: Send<worker.DispatchEvent> | undefined;
  #server: GrpcServer | undefined;
  #owner: string | undefined;

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
            init: 'unimplemented',
            execute: 'unimplemented',
            stop: 'unimplemented',
            watchExecution: 'unimplemented',
            dispatch: (requests, ctx, send) => this.#dispatch(requests, ctx, send),
          },
          { auth: 'none' },
        ),
      ],
    });
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }

  /** Number of tasks sent and not ended yet. */
  running(): number {
    return [...this.tasks.values()].filter((t) => !t.events.some((e) => e.event?.$case === 'done'))
      .length;
  }

  startTask(taskId: string): void {
    this.#emit(taskId, { $case: 'started', value: {} });
  }

  /** The command exited 0: its outputs are served here (`slot://<address>/<task>/<channel>`). */
  exit(taskId: string): void {
    const run = this.#task(taskId).run;
    const outputs = this.#outputChannels(run).map((channelId) => ({
      channelId,
      slotUri: `slot://${this.address}/${taskId}/${channelId}`,
      sizeBytes: 1,
    }));
    this.#emit(taskId, { $case: 'exited', value: { outputs } });
  }

  done(taskId: string, rc = 0, description = ''): void {
    this.#emit(taskId, { $case: 'done', value: { rc, description } });
  }

  /** Started, exited and done with rc 0. */
  succeed(taskId: string): void {
    this.startTask(taskId);
    this.exit(taskId);
    this.done(taskId);
  }

  #task(taskId: string): DoubleTask {
    const task = this.tasks.get(taskId);
    if (task === undefined) throw new Error(`worker double never got task ${taskId}`);
    return task;
  }

  #outputChannels(run: worker.DispatchRequest_Run): string[] {
    const outputs = new Set(
      (run.taskDesc?.operation?.slots ?? []).filter((s) => s.direction === 2).map((s) => s.name),
    );
    return (run.taskDesc?.slotAssignments ?? [])
      .filter((a) => outputs.has(a.slotName))
      .map((a) => a.channelId);
  }

  #emit(taskId: string, event: worker.DispatchEvent['event']): void {
    const message = { taskId, event };
    this.#task(taskId).events.push(message);
    void this.#send?.(message).catch(() => undefined);
  }

  async #dispatch(
    requests: AsyncIterable<worker.DispatchRequest>,
    ctx: CallContext,
    send: Send<worker.DispatchEvent>,
  ): Promise<void> {
    this.#send = send;
    for await (const request of requests) {
      const r = request.request;
      if (r?.$case === 'attach') {
        const owner = `${r.value.userId}/${r.value.workflowName}`;
        if (this.#owner !== undefined && this.#owner !== owner)
          throw new FailedPrecondition(`this VM serves ${this.#owner}`);
        this.#owner = owner;
        this.attaches.push(r.value);
        for (const task of this.tasks.values()) for (const e of task.events) await send(e);
      } else if (r?.$case === 'run') {
        const known = this.tasks.get(r.value.taskId);
        const ended = known?.events.some((e) => e.event?.$case === 'done') ?? false;
        if (known !== undefined && !(ended && r.value.attempt > known.run.attempt)) {
          known.runs += 1;
          continue;
        }
        this.tasks.set(r.value.taskId, { run: r.value, runs: 1, events: [] });
        if (this.auto) setImmediate(() => this.succeed(r.value.taskId));
      } else if (r?.$case === 'stop') {
        this.stops.push(r.value);
        if (this.tasks.has(r.value.taskId)) this.done(r.value.taskId, 143, 'stopped');
      }
    }
    if (ctx.signal.aborted) this.#send = undefined;
  }
}
