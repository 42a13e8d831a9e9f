/**
 * @lzy/proto — generated protobuf/gRPC stubs (ts-proto, grpc-js) for the public LZY API and our
 * internal APIs. Source: proto/ (repo root); regenerate with `pnpm gen`, never edit src/gen/.
 *
 * Naming: one namespace per .proto file, never individual re-exports (several files share
 * message names: three `Operation`s, two `WhiteboardField`s, many `StopRequest`s).
 *   - LZY public files (package ai.lzy.v1.*), named after their area and file:
 *       lzyWorkflowService, lzyWorkflow, lzyWorkflowPrivateService   ai.lzy.v1.workflow
 *       lzyWorkflowWatchService (WatchGraph, an LZY-TS extension)    ai.lzy.v1.workflow
 *       lzyWhiteboardService, lzyWhiteboard                          ai.lzy.v1.whiteboard
 *       longrunning (operation.proto), longrunningOption (option.proto, package ai.lzy.v1)
 *       commonDataScheme, commonStorage, commonEnv, commonOperation, commonSlot
 *       validation
 *       iam (iam.proto), iamAuthService, iamSubjectService, iamAccessService,
 *       iamAccessBindingService
 *   - Standard files: googleAny, googleTimestamp, googleRpcStatus, health (grpc.health.v1).
 *   - Internal APIs (package lzy.internal.<service>.v1), named after the service:
 *       allocator, scheduler, graphExecutor, worker, slots, portal, channelManager, storage,
 *       operations (WatchOperation, the push twin of LongRunningService.Get), monitor (the site's
 *       view of executions, served by lzy-service), iamDirectory (iam's user listing), iamVmOwner
 *       (owners of VM subjects; Authenticate with the owner, for the services).
 *
 * Inside a namespace, names are ts-proto's: message `Foo` is an interface plus a `Foo` object
 * (`encode`, `decode`, `fromJSON`, `toJSON`, `create`, `fromPartial`, `$type`); nested messages
 * and enums are joined with `_` (`GraphStatusResponse_Executing`, `Slot_Media`); enums are
 * `as const` objects plus a union type (no TS `enum`). A service `S` yields `SService` (grpc-js
 * service definition for `server.addService`), `SServer` (handler interface) and `SClient`
 * (client class), e.g. `lzyWorkflowService.LzyWorkflowServiceService`.
 *
 * Value mapping (ts-proto options in buf.gen.yaml): message fields are optional keys
 * (`field?: T`, absent ≠ empty message), scalars are plain required keys with proto3 defaults;
 * oneofs are `{ $case: 'member', value }` unions; 64-bit integers are JS numbers (ts-proto
 * throws beyond 2^53); google.protobuf.Timestamp fields are `Date` (millisecond precision);
 * bytes are `Buffer`. Decoded enums may hold numbers outside the declared set (unknown values
 * are kept, as protobuf requires); `UNRECOGNIZED` (-1) only comes from fromJSON.
 *
 * Hand-written wrappers outside gen/: packAny/unpackAny (google.protobuf.Any), and
 * `fastSlotsServiceDefinition` / `FastSlotsServiceClient`, SlotsService with a zero-copy ReadSlot
 * codec (read-slot-codec.ts) for servers and clients on the data path.
 */
export * as lzyWorkflowService from './gen/ai/lzy/v1/workflow/workflow-service.ts';
export * as lzyWorkflow from './gen/ai/lzy/v1/workflow/workflow.ts';
export * as lzyWorkflowPrivateService from './gen/ai/lzy/v1/workflow/workflow-private-service.ts';
export * as lzyWorkflowWatchService from './gen/ai/lzy/v1/workflow/workflow-watch-service.ts';
export * as lzyWhiteboardService from './gen/ai/lzy/v1/whiteboard/whiteboard-service.ts';
export * as lzyWhiteboard from './gen/ai/lzy/v1/whiteboard/whiteboard.ts';
export * as longrunning from './gen/ai/lzy/v1/long-running/operation.ts';
export * as longrunningOption from './gen/ai/lzy/v1/long-running/option.ts';
export * as commonDataScheme from './gen/ai/lzy/v1/common/data-scheme.ts';
export * as commonStorage from './gen/ai/lzy/v1/common/storage.ts';
export * as commonEnv from './gen/ai/lzy/v1/common/env.ts';
export * as commonOperation from './gen/ai/lzy/v1/common/operation.ts';
export * as commonSlot from './gen/ai/lzy/v1/common/slot.ts';
export * as validation from './gen/ai/lzy/v1/validation/validation.ts';
export * as iam from './gen/ai/lzy/v1/iam/iam.ts';
export * as iamAuthService from './gen/ai/lzy/v1/iam/auth-service.ts';
export * as iamSubjectService from './gen/ai/lzy/v1/iam/subject-service.ts';
export * as iamAccessService from './gen/ai/lzy/v1/iam/access-service.ts';
export * as iamAccessBindingService from './gen/ai/lzy/v1/iam/access-binding-service.ts';
export * as googleAny from './gen/google/protobuf/any.ts';
export * as googleTimestamp from './gen/google/protobuf/timestamp.ts';
export * as googleRpcStatus from './gen/google/rpc/status.ts';
export * as health from './gen/grpc/health/v1/health.ts';
export * as allocator from './gen/lzy/internal/allocator/v1/allocator.ts';
export * as scheduler from './gen/lzy/internal/scheduler/v1/scheduler.ts';
export * as graphExecutor from './gen/lzy/internal/graph_executor/v1/graph_executor.ts';
export * as worker from './gen/lzy/internal/worker/v1/worker.ts';
export * as slots from './gen/lzy/internal/slots/v1/slots.ts';
export * as portal from './gen/lzy/internal/portal/v1/portal.ts';
export * as channelManager from './gen/lzy/internal/channel_manager/v1/channel_manager.ts';
export * as storage from './gen/lzy/internal/storage/v1/storage.ts';
export * as operations from './gen/lzy/internal/operations/v1/operations.ts';
export * as monitor from './gen/lzy/internal/monitor/v1/monitor.ts';
export * as iamDirectory from './gen/lzy/internal/iam/v1/directory.ts';
export * as iamVmOwner from './gen/lzy/internal/iam/v1/vm_owner.ts';
export { packAny, unpackAny, typeUrlOf } from './any.ts';
export {
  FastSlotsServiceClient,
  allocReadSlotChunk,
  fastSlotsServiceDefinition,
} from './read-slot-codec.ts';
export type { PackableMessage } from './any.ts';
export { portalSlotUri } from './slot-uris.ts';
