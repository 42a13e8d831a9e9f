import type { commonSlot } from '@lzy/proto';
import type { RunningCommand } from './command-process.ts';
import type { StdStreamName } from './task-record.ts';

/** The channel-manager calls of a worker (lzy.internal.channel_manager.v1), owner always WORKER. */
export interface ChannelManagerPort {
  /** Idempotent on slot.slotUri. */
  bind(slot: commonSlot.SlotInstance, signal?: AbortSignal): Promise<void>;
  /** Idempotent. */
  unbind(slotUri: string, signal?: AbortSignal): Promise<void>;
  /** The slot URIs of the sender to read from, as channel-manager pushes them. */
  watchSender(receiverSlotUri: string, signal: AbortSignal): AsyncIterable<string>;
}

export type SlotReadEvent =
  { kind: 'chunk'; offset: number; data: Buffer } | { kind: 'eos'; sizeBytes: number };

/** SlotsService.ReadSlot of another worker or a portal (address taken from the slot URI). */
export interface SlotReaderPort {
  readSlot(
    senderSlotUri: string,
    offset: number,
    signal: AbortSignal,
  ): AsyncIterable<SlotReadEvent>;
}

/**
 * PUTs of byte ranges to presigned storage URLs (UploadSlot; PresignedUploader of @lzy/blob).
 * `read` fills `buffer` from `position` of the range, like FileHandle.read.
 */
export interface StoragePartWriterPort {
  /**
   * Resolves with the ETag storage answered.
   * @throws Unavailable (storage unreachable, 5xx: retry), Aborted (refused: 4xx)
   */
  put(
    url: string,
    source: {
      sizeBytes: number;
      read(buffer: Buffer, position: number, length: number): Promise<number>;
    },
    signal: AbortSignal,
  ): Promise<string>;
}

/** A task's std stream to the portal (PortalService.WriteStd), best effort. */
export interface StdWriter {
  /** Resolves when the transport accepts more; never rejects (a broken stream drops data). */
  write(stream: StdStreamName, data: Buffer): Promise<void>;
  /** Ends the stream and waits for the portal's answer; never rejects. */
  close(): Promise<void>;
}

export interface StdSinkPort {
  open(portalAddress: string, taskId: string): StdWriter;
}

/** What the op's command needs from a prepared Python environment. */
export interface PreparedPythonEnv {
  /** The environment's interpreter: what `python` resolves to on the command's PATH. */
  python: string;
  /** Directories put first on the command's PATH (so `python` is the environment's). */
  pathPrefix: string[];
  /** The op's unpacked local modules (LOCAL_MODULES), if it has any. */
  localModulesDir: string | undefined;
}

/** Builds (or finds cached) the environment of a Python op (python-client-protocol §4.6). */
export interface PythonEnvPort {
  /**
   * Installer output goes to `output` (the op's stderr).
   * @throws EnvironmentError (the task ends with rc 97); the signal's reason on abort
   */
  prepare(
    env: { yaml: string; localModules: Array<{ name: string; uri: string }> },
    output: (data: Buffer) => Promise<void>,
    signal: AbortSignal,
  ): Promise<PreparedPythonEnv>;

  /**
   * pylzy's start-up payload (python-client-protocol §4.4) with the k-th occurrence of each
   * repeated input path in `args_paths`, then `kwargs_paths`, replaced by `repeatedInputs[path][k]`;
   * unpickled and pickled again by the environment's own interpreter with its local modules.
   * @throws EnvironmentError if the payload cannot be read or rewritten there (rc 97)
   */
  rewriteStartupPayload(
    env: PreparedPythonEnv,
    payload: string,
    repeatedInputs: ReadonlyMap<string, readonly string[]>,
    signal: AbortSignal,
  ): Promise<string>;

  /**
   * A Python op's command started warm (a fork of its environment's interpreter, found on
   * `call.env.PATH`, that imported the start-up script's imports once) when it is the start-up
   * command of §4.4; undefined: run it with `bash -c`. `call` is the command's exact
   * environment and working directory.
   */
  launch(
    command: string,
    call: { env: Record<string, string>; cwd: string },
  ): RunningCommand | undefined;
}
