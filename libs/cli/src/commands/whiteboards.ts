import { unaryCall } from '@lzy/grpc';
import type { CliIo } from '../cli-io.ts';
import { UNARY_DEADLINE_MS, openPublicApi } from '../public-api.ts';
import { renderWhiteboardTable, renderWhiteboardsJson } from '../render/whiteboards.ts';

export interface WhiteboardsArgs {
  config?: string;
  name?: string;
  tags: string[];
  since?: Date;
  until?: Date;
  json: boolean;
}

/** `lzy whiteboards`: LzyWhiteboardService.List of the caller, filtered on the server. */
export async function runWhiteboards(args: WhiteboardsArgs, io: CliIo): Promise<number> {
  const api = await openPublicApi(args.config, io);
  try {
    const { whiteboards } = await unaryCall(
      api.whiteboards.list.bind(api.whiteboards),
      {
        name: args.name ?? '',
        tags: args.tags,
        // Always sent, as pylzy does; an absent bound is unbounded (public-api.md §3.8).
        createdTimeBounds: { from: args.since, to: args.until },
      },
      { deadlineMs: UNARY_DEADLINE_MS, signal: io.signal },
    );
    io.stdout.write(
      args.json ? renderWhiteboardsJson(whiteboards) : renderWhiteboardTable(whiteboards),
    );
    return 0;
  } finally {
    api.close();
  }
}
