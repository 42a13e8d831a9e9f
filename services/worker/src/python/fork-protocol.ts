import type { Socket } from 'node:net';
import type { StdStreamName } from '../domain/task-record.ts';

// The worker's side of fork_server.py's wire format (its docstring describes the protocol).

/** What a forked child runs: the start-up script with `args`, or `python -c code args`. */
export type ForkJob = { env: Record<string, string>; cwd: string; args: string[] } & (
  { kind: 'startup' } | { kind: 'code'; code: string }
);

/** A line the server writes on the control channel. */
export type ServerMessage =
  | { ev: 'ready'; pid: number; script: string; modules: number; watched: number }
  | { ev: 'failed'; reason: string }
  | { ev: 'started'; id: number; pid: number }
  | { ev: 'refused'; id: number; reason: string; stale: boolean }
  | { ev: 'exited'; id: number; code?: number; signal?: number };

/** The run request line for `job`. */
export function runRequest(id: number, job: ForkJob): string {
  return `${JSON.stringify({ op: 'run', id, ...job })}\n`;
}

/** Calls `onMessage` for each JSON line of the control channel. */
export function readMessages(control: Socket, onMessage: (message: ServerMessage) => void): void {
  let buffered = '';
  control.setEncoding('utf8');
  control.on('data', (data: string) => {
    buffered += data;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      onMessage(JSON.parse(line) as ServerMessage);
    }
  });
  // A broken channel shows as the server's exit.
  control.on('error', () => undefined);
}

const STREAM_OF: Record<string, StdStreamName> = { '1': 'stdout', '2': 'stderr' };
/** Longer than any header the server writes: anything else is not the server's. */
const MAX_HEADER_BYTES = 200;

/**
 * The header a child's output socket starts with, `<token> <run id> <1|2>\n`; the socket is
 * left paused at the first byte of the stream itself. undefined: not a header of ours (the
 * socket is destroyed).
 */
export function readOutputHeader(
  socket: Socket,
  onHeader: (header: { token: string; id: number; stream: StdStreamName } | undefined) => void,
): void {
  let header = Buffer.alloc(0);
  const onData = (data: Buffer) => {
    header = Buffer.concat([header, data]);
    const newline = header.indexOf(0x0a);
    if (newline < 0) {
      if (header.length <= MAX_HEADER_BYTES) return;
      socket.off('data', onData).destroy();
      return onHeader(undefined);
    }
    socket.off('data', onData).pause();
    const rest = header.subarray(newline + 1);
    if (rest.length > 0) socket.unshift(rest);
    const [token = '', id = '', fd = ''] = header
      .subarray(0, newline)
      .toString('latin1')
      .split(' ');
    const stream = STREAM_OF[fd];
    if (stream !== undefined && /^\d+$/.test(id))
      return onHeader({ token, id: Number(id), stream });
    socket.destroy();
    onHeader(undefined);
  };
  socket.on('data', onData);
}
