import type { lzyWorkflow } from '@lzy/proto';
import { opCommand } from './op-command.ts';
import type { OpMeta } from './op.ts';

/** One argument of a recorded call: a value the client uploads, or another call's result. */
export type CallArg =
  | { kind: 'value'; uri: string; value: unknown }
  | { kind: 'result'; uri: string; producerCallId: string };

/** A recorded op call, as the graph needs it. */
export interface GraphCall {
  callId: string;
  op: OpMeta;
  args: readonly CallArg[];
  returnUri: string;
  poolName: string;
}

/** Slot paths of a call (public-api §10: `/<callId>/<entry>`, a file at `$LZY_MOUNT<path>`). */
export function argSlotPath(callId: string, index: number): string {
  return `/${callId}/arg${index}`;
}
export function returnSlotPath(callId: string): string {
  return `/${callId}/return`;
}

/**
 * The data URIs of a call (public-api §10): `<storage>/lzy_runs/<workflow>/<executionId>/data/
 * <op>.<arg<i>|return>.<callId>`.
 */
export function dataUri(runPrefix: string, op: string, entry: string, callId: string): string {
  return `${runPrefix}/data/${op}.${entry}.${callId}`;
}

export interface GraphRuntime {
  nodePath: string;
  runnerPath: string;
  /** Op module path → what the command names instead (a shipped bundle, op-modules.ts). */
  modules?: ReadonlyMap<string, string>;
}

/**
 * The ExecuteGraph graph of `calls`: one operation per call running the op runner, an input slot
 * per argument and one output slot for the return value; one data description per URI.
 * Dependencies are implied by URIs (an input URI that is another call's output).
 */
export function buildGraph(calls: readonly GraphCall[], runtime: GraphRuntime): lzyWorkflow.Graph {
  const uris = new Set<string>();
  const operations = calls.map((call): lzyWorkflow.Operation => {
    for (const arg of call.args) uris.add(arg.uri);
    uris.add(call.returnUri);
    return {
      name: call.op.name,
      description: call.op.options.description ?? '',
      command: opCommand({
        nodePath: runtime.nodePath,
        runnerPath: runtime.runnerPath,
        modulePath: runtime.modules?.get(call.op.modulePath) ?? call.op.modulePath,
        exportName: call.op.exportName,
        callId: call.callId,
        argCount: call.args.length,
      }),
      inputSlots: call.args.map((arg, index) => ({
        path: argSlotPath(call.callId, index),
        storageUri: arg.uri,
      })),
      outputSlots: [{ path: returnSlotPath(call.callId), storageUri: call.returnUri }],
      dockerImage: call.op.options.dockerImage ?? '',
      env: undefined,
      poolSpecName: call.poolName,
      lzyTsRequirements: {
        cpuCount: call.op.options.cpuCount ?? 1,
        ramGb: call.op.options.ramGb ?? 0,
        gpuCount: call.op.options.gpuCount ?? 0,
        maxAttempts: call.op.options.maxAttempts ?? 0,
        retryOnFailure: call.op.options.retryOnFailure ?? false,
      },
    };
  });
  return {
    name: '',
    parentGraphId: '',
    zone: '',
    operations,
    dataDescriptions: [...uris].map((storageUri) => ({ storageUri, dataScheme: undefined })),
  };
}
