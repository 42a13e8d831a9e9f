import { unaryCall } from '@lzy/grpc';
import type { iamAccessBindingService } from '@lzy/proto';
import type { AccessPort } from '../domain/ports.ts';

/** AccessPort over IAM's LzyAccessBindingService. */
export class AccessClient implements AccessPort {
  readonly #client: iamAccessBindingService.LzyAccessBindingServiceClient;

  constructor(deps: { client: iamAccessBindingService.LzyAccessBindingServiceClient }) {
    this.#client = deps.client;
  }

  async grantWorkflowOwner(userId: string, workflowName: string): Promise<void> {
    const c = this.#client;
    await unaryCall(c.setAccessBindings.bind(c), {
      resource: { id: `${userId}/${workflowName}`, type: 'workflow' },
      bindings: [{ role: 'lzy.workflow.owner', subject: { id: userId, type: 'USER' } }],
    });
  }
}
