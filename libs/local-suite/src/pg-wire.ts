/**
 * The few pieces of the PostgreSQL wire protocol (v3) the PGlite bridge needs: framing of the
 * client's messages, the startup handshake it answers itself, and reading PGlite's replies.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

const PROTOCOL_V3 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/** The first packet of a connection (it has no type byte). */
export type StartupPacket =
  | { kind: 'encryption-request' }
  | { kind: 'cancel' }
  | { kind: 'startup'; params: ReadonlyMap<string, string> }
  | { kind: 'unsupported'; code: number };

/**
 * Splits one startup packet off `buffer`; undefined while it is incomplete.
 * Returns the packet and the bytes after it.
 */
export function takeStartupPacket(
  buffer: Buffer,
): { packet: StartupPacket; rest: Buffer } | undefined {
  if (buffer.length < 8) return undefined;
  const length = buffer.readInt32BE(0);
  if (buffer.length < length) return undefined;
  const code = buffer.readInt32BE(4);
  const rest = buffer.subarray(length);
  if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
    return { packet: { kind: 'encryption-request' }, rest };
  }
  if (code === CANCEL_REQUEST) return { packet: { kind: 'cancel' }, rest };
  if (code !== PROTOCOL_V3) return { packet: { kind: 'unsupported', code }, rest };
  const fields = buffer
    .subarray(8, length - 1)
    .toString('utf8')
    .split('\0');
  const params = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) params.set(fields[i]!, fields[i + 1]!);
  return { packet: { kind: 'startup', params }, rest };
}

/** One typed message (type byte, int32 length, body), as raw bytes. */
export interface WireMessage {
  type: string;
  bytes: Buffer;
}

/** Splits every complete typed message off `buffer`; returns them and the incomplete rest. */
export function takeMessages(buffer: Buffer): { messages: WireMessage[]; rest: Buffer } {
  const messages: WireMessage[] = [];
  let offset = 0;
  while (buffer.length - offset >= 5) {
    const end = offset + 1 + buffer.readInt32BE(offset + 1);
    if (buffer.length < end) break;
    messages.push({
      type: String.fromCharCode(buffer[offset]!),
      bytes: buffer.subarray(offset, end),
    });
    offset = end;
  }
  return { messages, rest: buffer.subarray(offset) };
}

/** The SQL text of a simple Query ('Q') or a Parse ('P'); undefined for other messages. */
export function sqlOf(message: WireMessage): string | undefined {
  if (message.type === 'Q') return cString(message.bytes, 5).value;
  if (message.type === 'P') return cString(message.bytes, cString(message.bytes, 5).end).value;
  return undefined;
}

/** The channel of a NotificationResponse ('A'): int32 pid, channel, payload. */
export function notificationChannel(message: WireMessage): string {
  return cString(message.bytes, 9).value;
}

/** Transaction status of a ReadyForQuery ('Z'): 'I' idle, 'T' in a block, 'E' failed block. */
export function readyStatus(message: WireMessage): string {
  return String.fromCharCode(message.bytes[5]!);
}

function cString(bytes: Buffer, start: number): { value: string; end: number } {
  const zero = bytes.indexOf(0, start);
  return { value: bytes.toString('utf8', start, zero), end: zero + 1 };
}

function typed(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

function cStrings(...values: string[]): Buffer {
  return Buffer.concat(values.map((v) => Buffer.from(`${v}\0`, 'utf8')));
}

function int32s(...values: number[]): Buffer {
  const body = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => body.writeInt32BE(v, 4 * i));
  return body;
}

/**
 * What a trust-authenticated server sends after a StartupMessage: AuthenticationOk, the
 * ParameterStatus values clients look at, BackendKeyData, ReadyForQuery (idle).
 */
export function startupReply(
  parameters: ReadonlyMap<string, string>,
  backendKey: { pid: number; secret: number },
): Buffer {
  return Buffer.concat([
    typed('R', int32s(0)),
    ...[...parameters].map(([name, value]) => typed('S', cStrings(name, value))),
    typed('K', int32s(backendKey.pid, backendKey.secret)),
    typed('Z', Buffer.from('I')),
  ]);
}

/** An ErrorResponse with severity, SQLSTATE and message. */
export function errorResponse(severity: 'ERROR' | 'FATAL', code: string, message: string): Buffer {
  return typed(
    'E',
    Buffer.concat([
      cStrings(`S${severity}`, `V${severity}`, `C${code}`, `M${message}`),
      Buffer.from([0]),
    ]),
  );
}

/** A Sync message: ends an extended-protocol batch (the server rolls back a failed implicit one). */
export const SYNC_MESSAGE = typed('S', Buffer.alloc(0));
