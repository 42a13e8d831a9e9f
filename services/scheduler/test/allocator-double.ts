import { EventEmitter, on } from 'node:events';
import type { status } from '@grpc/grpc-js';
import { FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted } from '@lzy/errors';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { CallContext, GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import type { longrunning } from '@lzy/proto';
import { allocator, operations, packAny } from '@lzy/proto';

/** One Allocate call as the double saw it. */
export interface AllocateCall {
  readonly request: allocator.AllocateRequest;
  readonly idempotencyKey: string | undefined;
  readonly operationId: string;
  readonly vmId: string;
}

interface DoubleOperation {
  id: string;
  vmId: string;
  sessionId: string;
  poolLabel: string;
  done: boolean;
  error?: { code: number; message: string };
  vmAddress?: string;
}

/**
 * A test double of OUR allocator's internal API over real grpc-js: CreateSession (idempotent by
 * key), Allocate (an operation per Idempotency-Key, completed when the test says, or at once on
 * the worker `vmFactory` gives), Free, GetVm, WatchVm (push) and OperationsService.WatchOperation
 * (push), ListVmPools (`s`: 2 CPU, 2 GB; `m`: 4 CPU, 8 GB). Pools named in `unknownPools` are
 * refused with INVALID_ARGUMENT naming the pool, as the allocator does.
 */
export class AllocatorDouble {
  readonly createSessionCalls: { owner: string; idempotencyKey: string | undefined }[] = [];
  readonly allocateCalls: AllocateCall[] = [];
  readonly freed: string[] = [];
  readonly unknownPools = new Set<string>(['xl']);
  /** Pool → how many more Allocate calls it refuses with RESOURCE_EXHAUSTED (pool full). */
  readonly fullPools = new Map<string, number>();
  readonly #sessions = new Map<string, string>();
  readonly #operations = new Map<string, DoubleOperation>();
  readonly #vmStatus = new Map<string, allocator.VmStatus>();
  readonly #deleteReasons = new Map<string, string>();
  /** Completes each new allocation at once on the worker address it returns (undefined: wait). */
  vmFactory: ((poolLabel: string) => Promise<string | undefined>) | undefined;
  readonly #changes = new EventEmitter();
  #server: GrpcServer | undefined;
  #next = 0;

  get address(): string {
    if (this.#server === undefined) throw new Error('allocator double not started');
    return `127.0.0.1:${this.#server.port}`;
  }

  async start(log: Logger): Promise<void> {
    this.#server = await startGrpcServer({
      name: 'allocator-double',
      port: 0,
      log,
      shutdownGraceMs: 100,
      services: [
        implement(
          allocator.AllocatorServiceService,
          {
            createSession: (req, ctx) => Promise.resolve(this.#createSession(req, ctx)),
            deleteSession: 'unimplemented',
            allocate: (req, ctx) => Promise.resolve(this.#allocate(req, ctx)),
            free: (req) => Promise.resolve(this.#free(req.vmId)),
            getVm: (req) => Promise.resolve(this.#getVm(req.vmId)),
            listVms: 'unimplemented',
            watchVm: (req, ctx, send) => this.#watchVm(req.vmId, ctx, send),
            listVmPools: () =>
              Promise.resolve({
                pools: [
                  allocator.VmPool.fromPartial({
                    label: 's',
                    cpuCount: 2,
                    ramGb: 2,
                    zones: ['local'],
                  }),
                  allocator.VmPool.fromPartial({
                    label: 'm',
                    cpuCount: 4,
                    ramGb: 8,
                    zones: ['local'],
                  }),
                ],
              }),
          },
          { auth: 'none' },
        ),
        implement(
          operations.OperationsServiceService,
          { watchOperation: (req, ctx, send) => this.#watch(req.operationId, ctx, send) },
          { auth: 'none' },
        ),
      ],
    });
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }

  /** Completes the allocation made with this Idempotency-Key: the VM runs at `vmAddress`. */
  complete(idempotencyKey: string, vmAddress: string): string {
    const op = this.#byKey(idempotencyKey);
    op.done = true;
    op.vmAddress = vmAddress;
    this.#vmStatus.set(op.vmId, allocator.VmStatus.VM_STATUS_RUNNING);
    this.#changes.emit(op.id);
    return op.vmId;
  }

  /** Fails the allocation made with this Idempotency-Key. */
  fail(idempotencyKey: string, code: status, message: string): void {
    const op = this.#byKey(idempotencyKey);
    op.done = true;
    op.error = { code, message };
    this.#changes.emit(op.id);
  }

  /** The VM dies (as after missed heartbeats): pushed on WatchVm with `reason`. */
  killVm(vmId: string, reason = 'process exited with signal SIGKILL'): void {
    this.#vmStatus.set(vmId, allocator.VmStatus.VM_STATUS_DEAD);
    this.#deleteReasons.set(vmId, reason);
    this.#changes.emit(`vm:${vmId}`);
  }

  /** VM ids of the allocations made so far, in order. */
  vmIds(): string[] {
    return this.allocateCalls.map((c) => c.vmId);
  }

  #byKey(idempotencyKey: string): DoubleOperation {
    const call = this.allocateCalls.find((c) => c.idempotencyKey === idempotencyKey);
    const op = call === undefined ? undefined : this.#operations.get(call.operationId);
    if (op === undefined) throw new Error(`no allocation with key ${idempotencyKey}`);
    return op;
  }

  #createSession(req: allocator.CreateSessionRequest, ctx: CallContext) {
    this.createSessionCalls.push({ owner: req.owner, idempotencyKey: ctx.idempotencyKey });
    const key = ctx.idempotencyKey ?? `anonymous-${this.#next++}`;
    let sessionId = this.#sessions.get(key);
    if (sessionId === undefined) {
      sessionId = `session-${this.#next++}`;
      this.#sessions.set(key, sessionId);
    }
    return { sessionId };
  }

  #allocate(req: allocator.AllocateRequest, ctx: CallContext): longrunning.Operation {
    if (this.unknownPools.has(req.poolLabel)) {
      throw new InvalidArgument(`unknown pool "${req.poolLabel}" in the WORKER cluster`);
    }
    const refusals = this.fullPools.get(req.poolLabel) ?? 0;
    if (refusals > 0) {
      this.fullPools.set(req.poolLabel, refusals - 1);
      throw new ResourceExhausted(`pool "${req.poolLabel}" is at its max_vms`);
    }
    const known = this.allocateCalls.find(
      (c) => ctx.idempotencyKey !== undefined && c.idempotencyKey === ctx.idempotencyKey,
    );
    if (known !== undefined) return this.#toProto(this.#operations.get(known.operationId)!);
    const op: DoubleOperation = {
      id: `op-${this.#next++}`,
      vmId: `vm-${req.poolLabel}-${this.#next++}`,
      sessionId: req.sessionId,
      poolLabel: req.poolLabel,
      done: false,
    };
    this.#operations.set(op.id, op);
    this.#vmStatus.set(op.vmId, allocator.VmStatus.VM_STATUS_ALLOCATING);
    this.allocateCalls.push({
      request: req,
      idempotencyKey: ctx.idempotencyKey,
      operationId: op.id,
      vmId: op.vmId,
    });
    const key = ctx.idempotencyKey;
    if (this.vmFactory !== undefined && key !== undefined)
      void this.vmFactory(req.poolLabel).then((address) => {
        if (address !== undefined) this.complete(key, address);
      });
    return this.#toProto(op);
  }

  async #watchVm(
    vmId: string,
    ctx: CallContext,
    send: (res: allocator.WatchVmResponse) => Promise<void>,
  ): Promise<void> {
    if (!this.#vmStatus.has(vmId)) throw new NotFound(`vm ${vmId} not found`);
    const changes = on(this.#changes, `vm:${vmId}`, { signal: ctx.signal });
    const message = () => ({
      vm: allocator.Vm.fromPartial({
        id: vmId,
        status: this.#vmStatus.get(vmId),
        deleteReason: this.#deleteReasons.get(vmId) ?? '',
      }),
    });
    await send(message());
    if (this.#vmStatus.get(vmId) === allocator.VmStatus.VM_STATUS_DEAD) return;
    for await (const _ of changes) {
      await send(message());
      if (this.#vmStatus.get(vmId) === allocator.VmStatus.VM_STATUS_DEAD) return;
    }
  }

  #free(vmId: string): allocator.FreeResponse {
    const vmStatus = this.#vmStatus.get(vmId);
    if (vmStatus === undefined || vmStatus === allocator.VmStatus.VM_STATUS_DEAD) {
      throw new NotFound(`vm ${vmId} not found`);
    }
    if (vmStatus === allocator.VmStatus.VM_STATUS_ALLOCATING) {
      throw new FailedPrecondition(`vm ${vmId} is still allocating`);
    }
    this.#vmStatus.set(vmId, allocator.VmStatus.VM_STATUS_IDLE);
    this.freed.push(vmId);
    return {};
  }

  #getVm(vmId: string): allocator.GetVmResponse {
    const vmStatus = this.#vmStatus.get(vmId);
    if (vmStatus === undefined) throw new NotFound(`vm ${vmId} not found`);
    return { vm: allocator.Vm.fromPartial({ id: vmId, status: vmStatus }) };
  }

  async #watch(
    operationId: string,
    ctx: CallContext,
    send: (res: operations.WatchOperationResponse) => Promise<void>,
  ): Promise<void> {
    const op = this.#operations.get(operationId);
    if (op === undefined) throw new NotFound(`operation ${operationId} not found`);
    const changes = on(this.#changes, operationId, { signal: ctx.signal });
    await send({ operation: this.#toProto(op) });
    if (op.done) return;
    for await (const _ of changes) {
      await send({ operation: this.#toProto(op) });
      if (op.done) return;
    }
  }

  #toProto(op: DoubleOperation): longrunning.Operation {
    const base = {
      id: op.id,
      description: 'allocate',
      createdBy: 'lzy-internal',
      done: op.done,
      metadata: packAny(allocator.AllocateMetadata, { vmId: op.vmId }),
    };
    if (op.error !== undefined) {
      return { ...base, result: { $case: 'error', value: { ...op.error, details: [] } } };
    }
    if (op.vmAddress !== undefined) {
      const response = allocator.AllocateResponse.fromPartial({
        sessionId: op.sessionId,
        vmId: op.vmId,
        poolLabel: op.poolLabel,
        endpoints: [
          { type: allocator.VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME, value: op.vmAddress },
        ],
      });
      return {
        ...base,
        result: { $case: 'response', value: packAny(allocator.AllocateResponse, response) },
      };
    }
    return base;
  }
}
