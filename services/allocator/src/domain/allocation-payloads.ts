import { packMessage } from '@lzy/operations';
import type { PackedMessage } from '@lzy/operations';
import { allocator } from '@lzy/proto';
import type { Vm, VmEndpoint } from './vm.ts';

const ENDPOINT_TYPES = {
  HOST_NAME: allocator.VmEndpointType.VM_ENDPOINT_TYPE_HOST_NAME,
  INTERNAL_IP: allocator.VmEndpointType.VM_ENDPOINT_TYPE_INTERNAL_IP,
  EXTERNAL_IP: allocator.VmEndpointType.VM_ENDPOINT_TYPE_EXTERNAL_IP,
} as const;

/** Proto form of endpoints (shared with rpc/vm-proto.ts). */
export function toProtoEndpoints(endpoints: readonly VmEndpoint[]): allocator.VmEndpoint[] {
  return endpoints.map((e) => ({ type: ENDPOINT_TYPES[e.type], value: e.value }));
}

/** Operation.metadata of Allocate. */
export function allocateMetadata(vmId: string): PackedMessage {
  return packMessage(allocator.AllocateMetadata, { vmId });
}

/** Operation.response of Allocate: where the (registered) VM is. */
export function allocateResponse(vm: Vm): PackedMessage {
  return packMessage(allocator.AllocateResponse, {
    sessionId: vm.sessionId,
    vmId: vm.id,
    poolLabel: vm.poolLabel,
    zone: vm.zone,
    endpoints: toProtoEndpoints(vm.endpoints),
    metadata: { ...vm.metadata },
  });
}

/** The stored result of CreateSession (replayed for a repeated idempotency key). */
export function createSessionResponse(sessionId: string): PackedMessage {
  return packMessage(allocator.CreateSessionResponse, { sessionId });
}

export function sessionIdOf(response: PackedMessage): string {
  return allocator.CreateSessionResponse.decode(response.value).sessionId;
}
