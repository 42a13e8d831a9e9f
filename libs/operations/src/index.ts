/**
 * @lzy/operations — LZY's long-running operations (reference-lzy-internals §1, gaps closed).
 *
 * Wiring in a service (src/service.ts):
 * ```ts
 * // migrations: { '0001_operation': operationTableMigration, '0002_vm': … }
 * const store = new OperationStore({ db, clock });
 * const listener = new NotificationListener({ connection: config.db, log }); // @lzy/db
 * await listener.start();
 * const unlisten = await store.listenForCompletions(listener); // cross-instance wake-ups
 * const runner = new OperationRunner({ db, store, clock, log });
 * runner.register(allocateVmKind);
 * runner.start();
 * await runner.resumeUnfinished();
 * startGrpcServer({ services: [longRunningService({ store }), operationsService({ store }), …] });
 * // stop: server → runner.stop() → unlisten() → listener.stop() → closeDatabase(db)
 * ```
 */
export type {
  Clock,
  JsonObject,
  JsonValue,
  Operation,
  OperationError,
  OperationErrorCode,
  PackedMessage,
} from './operation.ts';
export { operationTableMigration } from './operation-migration.ts';
export type { OperationDatabase, OperationTable } from './operation-row.ts';
export { OperationStore } from './operation-store.ts';
export { InMemoryOperations } from './in-memory-operations.ts';
export type {
  CompletionResult,
  CreateResult,
  Idempotency,
  NewOperation,
  OperationStoreDeps,
} from './operation-store.ts';
export { requestHash } from './request-hash.ts';
export { OperationRunner } from './runner/operation-runner.ts';
export type { OperationRunnerDeps } from './runner/operation-runner.ts';
export type {
  OperationKind,
  OperationStep,
  StepContext,
  StepResult,
} from './runner/operation-kind.ts';
export { longRunningService } from './rpc/long-running-service.ts';
export { operationsService } from './rpc/operations-service.ts';
export { onlyCreator } from './rpc/operation-access.ts';
export type { CanAccessOperation, OperationServiceDeps } from './rpc/operation-access.ts';
export { idempotencyOf, packMessage, toProtoOperation } from './rpc/operation-proto.ts';
