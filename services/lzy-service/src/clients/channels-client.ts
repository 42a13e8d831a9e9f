import { unaryCall } from '@lzy/grpc';
import type { channelManager } from '@lzy/proto';
import type { ChannelsPort } from '../domain/ports.ts';

/** ChannelsPort over lzy.internal.channel_manager.v1. */
export class ChannelsClient implements ChannelsPort {
  readonly #client: channelManager.ChannelManagerServiceClient;

  constructor(deps: { client: channelManager.ChannelManagerServiceClient }) {
    this.#client = deps.client;
  }

  async createChannels(request: {
    executionId: string;
    workflowName: string;
    userId: string;
    channelNames: readonly string[];
  }): Promise<string[]> {
    if (request.channelNames.length === 0) return [];
    const c = this.#client;
    const response = await unaryCall(c.createChannels.bind(c), {
      executionId: request.executionId,
      workflowName: request.workflowName,
      userId: request.userId,
      specs: request.channelNames.map((channelName) => ({ channelName, scheme: undefined })),
    });
    return response.channelIds;
  }

  async destroyAllChannels(executionId: string): Promise<void> {
    const c = this.#client;
    await unaryCall(c.destroyAllChannels.bind(c), { executionId });
  }
}
