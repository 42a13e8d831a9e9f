/** An output this worker produced and serves: where its bytes are and which sender slot it is. */
export interface LocalOutput {
  slotUri: string;
  filePath: string;
  sizeBytes: number;
}

/**
 * The outputs of this worker's finished tasks by channel id, so that a later task on the same VM
 * reading the same channel copies the file instead of binding, waiting for the sender and
 * streaming it back to itself over gRPC. A channel has one producer and its data is written once
 * (channel ids are per execution), so the local output is exactly what ReadSlot would give.
 */
export class LocalOutputs {
  readonly #byChannel = new Map<string, LocalOutput>();

  /** Called once the output is exposed and bound as the channel's sender. */
  add(channelId: string, output: LocalOutput): void {
    this.#byChannel.set(channelId, output);
  }

  find(channelId: string): LocalOutput | undefined {
    return this.#byChannel.get(channelId);
  }
}
