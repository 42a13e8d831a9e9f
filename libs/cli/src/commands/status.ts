import { setTimeout as sleep } from 'node:timers/promises';
import { unaryCall } from '@lzy/grpc';
import type { lzyWorkflowService } from '@lzy/proto';
import type { CliIo, TextSink } from '../cli-io.ts';
import { UNARY_DEADLINE_MS, openPublicApi } from '../public-api.ts';
import type { PublicApi } from '../public-api.ts';
import {
  graphStatusName,
  isTerminalGraphStatus,
  renderGraphStatus,
} from '../render/graph-status.ts';
import { exitCodeOfSignal } from '../signal-exit-code.ts';

/** How often `--watch` asks again (pylzy polls GraphStatus on a period as well). */
export const WATCH_PERIOD_MS = 500;

export interface StatusArgs {
  config?: string;
  executionId: string;
  graphId?: string;
  watch: boolean;
}

/**
 * `lzy status <executionId> [graphId] [--watch]`. Exit code 1 when the graph failed, 0 otherwise;
 * 128+n when a watch is stopped by a signal.
 */
export async function runStatus(args: StatusArgs, io: CliIo): Promise<number> {
  const api = await openPublicApi(args.config, io);
  try {
    if (args.graphId === undefined) return await describeExecution(api, args.executionId, io);
    const graphId = args.graphId;
    const fetch = () =>
      unaryCall(
        api.workflows.graphStatus.bind(api.workflows),
        { executionId: args.executionId, graphId },
        { deadlineMs: UNARY_DEADLINE_MS, signal: io.signal },
      );
    if (!args.watch) {
      const response = await fetch();
      io.stdout.write(renderGraphStatus(graphId, response));
      return exitCodeOf(response);
    }
    return await watch(graphId, fetch, io);
  } catch (err) {
    if (io.signal.aborted) return exitCodeOfSignal(io.signal.reason);
    throw err;
  } finally {
    api.close();
  }
}

async function watch(
  graphId: string,
  fetch: () => Promise<lzyWorkflowService.GraphStatusResponse>,
  io: CliIo,
): Promise<number> {
  const screen = new Redraw(io.stdout);
  for (;;) {
    const response = await fetch();
    screen.show(renderGraphStatus(graphId, response));
    if (isTerminalGraphStatus(response)) return exitCodeOf(response);
    await sleep(WATCH_PERIOD_MS, undefined, { signal: io.signal });
  }
}

/**
 * GraphStatus needs a graph id and the public API has no call listing an execution's graphs, so
 * without one we only show what is known: whether the execution is active (GetAvailablePools
 * answers NOT_FOUND otherwise) and its pools.
 */
async function describeExecution(api: PublicApi, executionId: string, io: CliIo) {
  const { poolSpecs } = await unaryCall(
    api.workflows.getAvailablePools.bind(api.workflows),
    { executionId },
    { deadlineMs: UNARY_DEADLINE_MS, signal: io.signal },
  );
  const pools = poolSpecs.map((pool) => pool.poolSpecName).join(', ') || '-';
  io.stdout.write(
    `execution ${executionId}: active\n  pools: ${pools}\n` +
      'The public API reports status per graph: pass the graph id that ExecuteGraph returned,\n' +
      `  lzy status ${executionId} <graphId>\n`,
  );
  return 0;
}

function exitCodeOf(response: lzyWorkflowService.GraphStatusResponse): number {
  return graphStatusName(response) === 'failed' ? 1 : 0;
}

/**
 * Shows successive frames: on a terminal the previous frame is erased and redrawn in place;
 * elsewhere (a pipe, a file) a frame is written only when it differs from the last one.
 */
class Redraw {
  readonly #out: TextSink;
  #last: string | undefined;
  constructor(out: TextSink) {
    this.#out = out;
  }
  show(frame: string): void {
    if (frame === this.#last) return;
    if (this.#out.isTTY === true && this.#last !== undefined) {
      const lines = this.#last.split('\n').length - 1;
      // CSI n F: cursor to the start of the line n lines up; CSI J: erase to the end of screen.
      this.#out.write(`\x1b[${lines}F\x1b[J`);
    }
    this.#out.write(frame);
    this.#last = frame;
  }
}
