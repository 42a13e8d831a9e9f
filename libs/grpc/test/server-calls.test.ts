import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFound } from '@lzy/errors';
import { implement, serverStream, startGrpcServer } from '@lzy/grpc';
import type { CallContext, GrpcServer } from '@lzy/grpc';
import { EchoService, rawEchoClient } from './echo-service.ts';
import type { EchoClient, EchoReply } from './echo-service.ts';
import { aborted, rawEcho, silentLog } from './helpers.ts';

let server: GrpcServer;
let client: EchoClient;
const seen: { ctx?: CallContext; abortReason?: unknown } = {};

async function echo(text: string, ctx: CallContext): Promise<EchoReply> {
  seen.ctx = ctx;
  switch (text) {
    case 'missing':
      throw new NotFound("Cannot find active execution 'e-1' of user 'u-1'");
    case 'bug':
      throw new Error('secret connection string postgres://u:p@db');
    case 'wait':
      seen.abortReason = await aborted(ctx.signal);
      return { text: 'too late' };
    default:
      return { text };
  }
}

beforeAll(async () => {
  server = await startGrpcServer({
    name: 'calls-test',
    port: 0,
    log: silentLog,
    services: [
      implement(
        EchoService,
        {
          echo: (req, ctx) => echo(req.text, ctx),
          repeat: async (req, ctx, send) => {
            for (let i = 1; i <= 3; i += 1) await send({ text: `${req.text}${i}` });
            if (req.text === 'fail') throw new NotFound('gone mid-stream');
            if (req.text === 'hold') seen.abortReason = await aborted(ctx.signal);
          },
          join: async (requests) => {
            const parts: string[] = [];
            for await (const req of requests) parts.push(req.text);
            return { text: parts.join('+') };
          },
          chat: async (requests, _ctx, send) => {
            for await (const req of requests) await send({ text: req.text.toUpperCase() });
          },
        },
        { auth: 'none' },
      ),
    ],
  });
  client = rawEchoClient(server.port);
});

afterAll(async () => {
  client?.close();
  await server?.stop();
});

describe('status mapping in the server bootstrap', () => {
  it('answers a thrown NotFound with NOT_FOUND and its message', async () => {
    const { error } = await rawEcho(client, { text: 'missing' });
    expect(error?.code).toBe(status.NOT_FOUND);
    expect(error?.details).toBe("Cannot find active execution 'e-1' of user 'u-1'");
  });

  it('answers a plain Error with INTERNAL naming the request id it returns, never the message', async () => {
    const { error } = await rawEcho(client, { text: 'bug' });
    const rid = error?.metadata.get('x-request-id')[0];
    expect(error?.code).toBe(status.INTERNAL);
    expect(typeof rid).toBe('string');
    expect(error?.details).toBe(`internal error (request ${String(rid)})`);
    expect(error?.details).not.toContain('postgres');
  });

  it('answers a request that does not decode with INVALID_ARGUMENT, never INTERNAL', async () => {
    const error = await new Promise<ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        EchoService.echo.path,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        Buffer.from('{"text": not json'),
        (err) => resolve(err),
      );
    });
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toBe('the request is not a valid Echo request message');
  });

  it('adopts an incoming x-request-id, echoes it and hands metadata to the handler', async () => {
    const { response, headers } = await rawEcho(
      client,
      { text: 'hello' },
      {
        'x-request-id': 'rid-42',
        'idempotency-key': 'key-7',
        authorization: 'Bearer a.b.c',
      },
    );
    expect(response).toEqual({ text: 'hello' });
    expect(headers?.get('x-request-id')).toEqual(['rid-42']);
    expect(seen.ctx).toMatchObject({
      requestId: 'rid-42',
      idempotencyKey: 'key-7',
      authorization: 'Bearer a.b.c',
    });
    expect(seen.ctx?.subject).toBeUndefined();
  });

  it('generates a request id when the caller sends none', async () => {
    const { headers } = await rawEcho(client, { text: 'hello' });
    expect(headers?.get('x-request-id')[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('aborts ctx.signal with DeadlineExceeded when the client deadline passes', async () => {
    const { error } = await rawEcho(client, { text: 'wait' }, {}, { deadline: Date.now() + 200 });
    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    await expect.poll(() => (seen.abortReason as Error | undefined)?.name).toBe('DeadlineExceeded');
  });
});

describe('handler kinds', () => {
  it('streams server messages through send()', async () => {
    const texts: string[] = [];
    for await (const reply of serverStream(client.repeat.bind(client), { text: 'r' }))
      texts.push(reply.text);
    expect(texts).toEqual(['r1', 'r2', 'r3']);
  });

  it('delivers the messages sent before a streaming handler fails, then its status', async () => {
    const texts: string[] = [];
    const consume = async () => {
      for await (const reply of serverStream(client.repeat.bind(client), { text: 'fail' }))
        texts.push(reply.text);
    };
    await expect(consume()).rejects.toThrow(NotFound);
    expect(texts).toEqual(['fail1', 'fail2', 'fail3']);
  });

  it('aborts ctx.signal with Cancelled when the client cancels a stream', async () => {
    seen.abortReason = undefined;
    const call = client.repeat({ text: 'hold' });
    call.on('error', () => {}); // the CANCELLED status is expected
    await new Promise((resolve) => call.once('data', resolve));
    call.cancel();
    await expect.poll(() => (seen.abortReason as Error | undefined)?.name).toBe('Cancelled');
  });

  it('reads a client stream as an async iterable', async () => {
    const reply = await new Promise<EchoReply>((resolve, reject) => {
      const call = client.join(new Metadata(), {}, (err: ServiceError | null, res: EchoReply) =>
        err ? reject(err) : resolve(res),
      );
      for (const text of ['a', 'b', 'c']) call.write({ text });
      call.end();
    });
    expect(reply).toEqual({ text: 'a+b+c' });
  });

  it('answers a bidi stream message by message', async () => {
    const call = client.chat();
    const replies: string[] = [];
    call.write({ text: 'x' });
    call.write({ text: 'y' });
    call.end();
    for await (const reply of call as AsyncIterable<EchoReply>) replies.push(reply.text);
    expect(replies).toEqual(['X', 'Y']);
  });
});
