import { unaryCall } from '@lzy/grpc';
import type { channelManager } from '@lzy/proto';
import type { ChannelsPort } from '../domain/ports.ts';

/** ChannelsPort over lzy.internal.channel_manager.v1. */
export class ChannelsClient implements ChannelsPort {
  readonly #client: channelManager.ChannelManagerServiceClient;

  constructor(deps: { client: channelManager.ChannelManagerServiceClient }) {
    this.#client = deps.client;
  }

  async createChannel(request: {
    executionId: string;
    workflowName: string;
    userId: string;
    channelName: string;
  }): Promise<string> {
    const c = this.#client;
    const response = await unaryCall(c.createChannel.bind(c), {
      executionId: request.executionId,
      workflowName: request.workflowName,
      userId: request.userId,
      spec: { channelName: request.channelName, scheme: undefined },
    });
    return response.channelId;
  }

  async destroyAllChannels(executionId: string): Promise<void> {
    const c = this.#client;
    await unaryCall(c.destroyAllChannels.bind(c), { executionId });
  }
}
