import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { PGlite } from '@electric-sql/pglite';
import type { Logger } from '@lzy/logging';
import {
  SYNC_MESSAGE,
  errorResponse,
  notificationChannel,
  readyStatus,
  sqlOf,
  startupReply,
  takeMessages,
  takeStartupPacket,
} from './pg-wire.ts';
import type { WireMessage } from './pg-wire.ts';

export interface PgliteServerOptions {
  /** PGlite's data directory (created, with its parents, on first start). */
  dataDir: string;
  host: string;
  /** 0: a free port. */
  port: number;
  /**
   * A transaction left open this long while another connection waits is rolled back and its
   * connection closed (PostgreSQL's idle_in_transaction_session_timeout): with one backend
   * shared by every connection, an abandoned transaction would otherwise stall them all.
   */
  idleInTransactionTimeoutMs?: number;
  log: Logger;
}

/** A running bridge: `urlFor(name)` is a postgres:// URL whose tables live in schema `name`. */
export interface PgliteServer {
  port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

interface Connection {
  id: number;
  socket: Socket;
  /** The startup packet's `database`: the schema its statements run in. */
  database: string;
  listens: Set<string>;
}

/** Client messages up to and including one that makes the server answer (Q, S, H, F). */
interface Batch {
  connection: Connection;
  messages: WireMessage[];
}

const ANSWERED_TYPES = new Set(['Q', 'S', 'H', 'F']);
const LISTEN = /^\s*(UN)?LISTEN\s+("(?:[^"]|"")+"|\*|[^\s;]+)/i;

/**
 * PGlite (PostgreSQL compiled to WASM, one single-user backend) behind the PostgreSQL wire
 * protocol, so that unchanged services with pg pools can use it. PGlite cannot open a second
 * database, so each client's startup `database` becomes a schema of the one database, used as
 * a role of the same name that owns it (search_path and SET ROLE switched between batches). Every connection shares the one backend, so the bridge serialises them:
 * - a batch (messages up to Sync or a simple Query) runs whole, never interleaved;
 * - while a connection has a transaction open (ReadyForQuery 'T'/'E', or a batch ended by
 *   Flush), only its batches run; the others queue (what row locks would make them do, only
 *   coarser: there is no concurrency, so SERIALIZABLE and advisory locks hold trivially);
 * - NotificationResponses are routed to the connections of that database that LISTEN on the
 *   channel (PGlite returns them to whichever connection committed the NOTIFY).
 * Startup parameters (statement_timeout…) are not applied: there is no per-connection session.
 */
export async function startPgliteServer(options: PgliteServerOptions): Promise<PgliteServer> {
  await mkdir(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir);
  const bridge = new PgliteBridge(db, options);
  try {
    await bridge.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  return bridge;
}

class PgliteBridge implements PgliteServer {
  port = 0;
  readonly #db: PGlite;
  readonly #options: PgliteServerOptions;
  readonly #server = createServer((socket) => this.#accept(socket));
  readonly #connections = new Set<Connection>();
  readonly #queue: Batch[] = [];
  readonly #schemas = new Set<string>();
  #parameters = new Map<string, string>();
  #nextId = 1;
  /** The connection with a transaction (or an unsynced batch) open on the backend. */
  #owner: Connection | undefined;
  #ownerTimer: NodeJS.Timeout | undefined;
  /** The schema search_path points at. */
  #searchPath: string | undefined;
  #pumping = false;

  constructor(db: PGlite, options: PgliteServerOptions) {
    this.#db = db;
    this.#options = options;
  }

  async start(): Promise<void> {
    const version = await this.#db.query<{ server_version: string }>('SHOW server_version');
    this.#parameters = new Map([
      ['server_version', version.rows[0]!.server_version],
      ['server_encoding', 'UTF8'],
      ['client_encoding', 'UTF8'],
      ['DateStyle', 'ISO, MDY'],
      ['IntervalStyle', 'postgres'],
      ['TimeZone', 'UTC'],
      ['integer_datetimes', 'on'],
      ['standard_conforming_strings', 'on'],
      ['is_superuser', 'on'],
      ['session_authorization', 'postgres'],
      ['application_name', ''],
    ]);
    this.#server.listen(this.#options.port, this.#options.host);
    await once(this.#server, 'listening');
    this.port = (this.#server.address() as AddressInfo).port;
  }

  urlFor(database: string): string {
    return `postgres://postgres@${this.#options.host}:${this.port}/${database}`;
  }

  async stop(): Promise<void> {
    for (const connection of this.#connections) connection.socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    while (this.#pumping) await new Promise((resolve) => setImmediate(resolve));
    clearTimeout(this.#ownerTimer);
    await this.#db.close();
  }

  #accept(socket: Socket): void {
    socket.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    let connection: Connection | undefined;
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      while (connection === undefined) {
        const taken = takeStartupPacket(buffer);
        if (taken === undefined) return;
        buffer = taken.rest;
        const { packet } = taken;
        if (packet.kind === 'encryption-request') {
          socket.write('N');
        } else if (packet.kind !== 'startup') {
          // A CancelRequest (nothing to cancel: one backend, batches run to the end) or an
          // unknown protocol version: either way this connection is done.
          if (packet.kind === 'cancel') socket.end();
          else socket.end(unsupported());
          return;
        } else {
          connection = this.#open(socket, packet.params.get('database') ?? 'postgres');
        }
      }
      const { messages, rest } = takeMessages(buffer);
      buffer = rest;
      this.#receive(connection, messages);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (connection !== undefined) void this.#close(connection);
    });
  }

  #open(socket: Socket, database: string): Connection {
    const connection: Connection = { id: this.#nextId++, socket, database, listens: new Set() };
    this.#connections.add(connection);
    socket.write(startupReply(this.#parameters, { pid: connection.id, secret: 0 }));
    return connection;
  }

  /** Groups messages into batches; a Terminate closes the connection. */
  #pendingOf = new Map<Connection, WireMessage[]>();
  #receive(connection: Connection, messages: WireMessage[]): void {
    const pending = this.#pendingOf.get(connection) ?? [];
    for (const message of messages) {
      if (message.type === 'X') {
        connection.socket.end();
        return;
      }
      pending.push(message);
      trackListen(connection, message);
      if (ANSWERED_TYPES.has(message.type)) {
        this.#queue.push({ connection, messages: pending.splice(0) });
      }
    }
    this.#pendingOf.set(connection, pending);
    if (this.#owner === connection) clearTimeout(this.#ownerTimer);
    void this.#pump();
  }

  async #close(connection: Connection): Promise<void> {
    this.#connections.delete(connection);
    this.#pendingOf.delete(connection);
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      if (this.#queue[i]!.connection === connection) this.#queue.splice(i, 1);
    }
    if (this.#owner !== connection) return;
    // Run as a batch of its own so it cannot interleave with one in progress.
    this.#queue.unshift({ connection, messages: [] });
    await this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping || this.#db.closed) return;
    this.#pumping = true;
    try {
      for (;;) {
        const owner = this.#owner;
        const index = this.#queue.findIndex((b) => owner === undefined || b.connection === owner);
        if (index < 0) break;
        const [batch] = this.#queue.splice(index, 1);
        await this.#run(batch!);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #run(batch: Batch): Promise<void> {
    const { connection } = batch;
    if (!this.#connections.has(connection)) {
      // Closed: end whatever it left open on the backend.
      if (this.#owner === connection) await this.#rollback();
      return;
    }
    try {
      if (this.#owner === undefined) await this.#useSchema(connection.database);
      const input = Buffer.concat(batch.messages.map((m) => m.bytes));
      const output = Buffer.from(await this.#db.execProtocolRaw(input));
      const { messages } = takeMessages(output);
      const reply: Buffer[] = [];
      let status: string | undefined;
      for (const message of messages) {
        if (message.type === 'A') this.#notify(connection.database, message);
        else reply.push(message.bytes);
        if (message.type === 'Z') status = readyStatus(message);
      }
      connection.socket.write(Buffer.concat(reply));
      this.#setOwner(status === 'I' ? undefined : connection);
    } catch (err) {
      this.#options.log.error({ err, database: connection.database }, 'PGlite failed a batch');
      connection.socket.end(errorResponse('FATAL', 'XX000', 'PGlite failed; reconnect'));
      if (this.#owner === connection) await this.#rollback();
    }
  }

  #setOwner(owner: Connection | undefined): void {
    clearTimeout(this.#ownerTimer);
    this.#owner = owner;
    if (owner === undefined) return;
    const timeoutMs = this.#options.idleInTransactionTimeoutMs ?? 60_000;
    this.#ownerTimer = setTimeout(() => {
      if (this.#owner !== owner) return;
      // Nobody waits: an open transaction harms no one yet; look again after another period.
      if (!this.#queue.some((b) => b.connection !== owner)) return this.#setOwner(owner);
      this.#options.log.warn(
        { database: owner.database, timeoutMs },
        'closing a connection idle in transaction while others wait',
      );
      owner.socket.end(
        errorResponse(
          'FATAL',
          '25P03',
          'terminating connection due to idle-in-transaction timeout',
        ),
      );
    }, timeoutMs);
    this.#ownerTimer.unref();
  }

  /** Ends an unsynced batch and an open transaction block left by a closed connection. */
  async #rollback(): Promise<void> {
    await this.#db.execProtocolRaw(SYNC_MESSAGE);
    if (this.#db.isInTransaction()) await this.#db.exec('ROLLBACK');
    this.#setOwner(undefined);
  }

  /**
   * Points the backend at `database`'s schema, as that database's role: kysely's migrator finds
   * its tables through the catalog, which shows only schemas the current role may use, so each
   * service sees its own tables only, as it would in a database of its own.
   */
  async #useSchema(database: string): Promise<void> {
    if (this.#searchPath === database) return;
    if (database === 'postgres') {
      await this.#db.exec('RESET ROLE; SET search_path TO public');
    } else {
      const name = `"${database.replaceAll('"', '""')}"`;
      if (!this.#schemas.has(database)) {
        await this.#db.exec(
          `RESET ROLE;
           DO $$ BEGIN
             IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(database)}) THEN
               CREATE ROLE ${name};
             END IF;
           END $$;
           CREATE SCHEMA IF NOT EXISTS ${name} AUTHORIZATION ${name};`,
        );
        this.#schemas.add(database);
      }
      await this.#db.exec(`RESET ROLE; SET ROLE ${name}; SET search_path TO ${name}`);
    }
    this.#searchPath = database;
  }

  #notify(database: string, message: WireMessage): void {
    const channel = notificationChannel(message);
    for (const listener of this.#connections) {
      if (listener.database === database && listener.listens.has(channel)) {
        listener.socket.write(message.bytes);
      }
    }
  }
}

/** Keeps `connection.listens` as the backend would for a session of its own. */
function trackListen(connection: Connection, message: WireMessage): void {
  const match = LISTEN.exec(sqlOf(message) ?? '');
  if (match === null) return;
  const raw = match[2]!;
  const channel = raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw.toLowerCase();
  if (match[1] === undefined) connection.listens.add(channel);
  else if (channel === '*') connection.listens.clear();
  else connection.listens.delete(channel);
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function unsupported(): Buffer {
  return errorResponse('FATAL', '0A000', 'unsupported frontend protocol');
}
