import { implement } from '@lzy/grpc';
import type { ServiceRegistration } from '@lzy/grpc';
import { allocator } from '@lzy/proto';
import type { VmAgentGate } from '../domain/vm-agent-gate.ts';
import { fromProtoEndpoints } from './vm-proto.ts';

/**
 * `lzy.internal.allocator.v1.AllocatorPrivateService`, called by VMs. Served without bearer auth:
 * the VM's register token in the request body is the credential (checked by VmAgentGate).
 */
export function allocatorPrivateService(deps: {
  readonly gate: VmAgentGate;
  readonly assertReady: () => void;
}): ServiceRegistration {
  const { gate, assertReady } = deps;
  return implement(
    allocator.AllocatorPrivateServiceService,
    {
      register: async (request) => {
        assertReady();
        await gate.register(request.vmId, request.ott, fromProtoEndpoints(request.endpoints), {
          ...request.metadata,
        });
        return { heartbeatPeriodMs: gate.heartbeatPeriodMs };
      },
      heartbeat: async (request) => {
        assertReady();
        await gate.heartbeat(request.vmId, request.ott);
        return {};
      },
    },
    { auth: 'none' },
  );
}
