import { status } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { PermissionDenied, Unavailable } from '@lzy/errors';
import { lzyWhiteboard, lzyWhiteboardService } from '@lzy/proto';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rawUnary,
  rpcs,
  startStack,
  whiteboardClient,
  whiteboardOf,
  whiteboardTemplate,
} from './fixtures.ts';

const { CREATED, FINALIZED, WHITEBOARD_STATUS_UNSPECIFIED } = lzyWhiteboard.Whiteboard_Status;

describe('LzyWhiteboardService', () => {
  const pg = usePostgres({ template: whiteboardTemplate });
  let stack: Awaited<ReturnType<typeof startStack>>;
  let alice: ReturnType<typeof rpcs>;
  let bob: ReturnType<typeof rpcs>;

  beforeAll(async () => {
    stack = await startStack(pg.url);
    alice = rpcs(whiteboardClient(stack.address, 'alice'));
    bob = rpcs(whiteboardClient(stack.address, 'bob'));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('returns a registered whiteboard from Get as registered, in field and tag order', async () => {
    const registered = whiteboardOf('wb-get', { tags: ['z', 'a', 'm', 'a'] });
    await alice.register(registered);
    expect(await alice.get('wb-get')).toEqual(registered);
    expect(stack.iam.rolesOf('wb-get', 'alice')).toEqual(['lzy.whiteboard.owner']);
  });

  it('answers Get with exactly the bytes registered, createdAt nanoseconds included', async () => {
    const whiteboard = lzyWhiteboard.Whiteboard.encode({
      ...whiteboardOf('wb-nanos'),
      createdAt: undefined,
    });
    // createdAt {seconds 1675432800, nanos 123456789}: finer than a JS Date can hold.
    whiteboard.tag(8, 2).fork().tag(1, 0).int64(1675432800).tag(2, 0).int32(123456789).join();
    const request = new BinaryWriter().tag(1, 2).bytes(whiteboard.finish()).finish();
    const service = lzyWhiteboardService.LzyWhiteboardServiceService;
    await rawUnary(stack.address, 'alice', service.registerWhiteboard.path, request);
    const getRequest = lzyWhiteboardService.GetRequest.encode({
      whiteboardId: 'wb-nanos',
    }).finish();
    const response = await rawUnary(stack.address, 'alice', service.get.path, getRequest);
    expect(Buffer.from(response).equals(Buffer.from(request))).toBe(true);
  });

  it('keeps every member an update leaves empty (pylzy finalize sends id and status)', async () => {
    const registered = whiteboardOf('wb-finalize');
    await alice.register(registered);
    await alice.update({
      ...lzyWhiteboard.Whiteboard.create({ id: 'wb-finalize' }),
      status: FINALIZED,
    });
    expect(await alice.get('wb-finalize')).toEqual({ ...registered, status: FINALIZED });
  });

  it('replaces the whole tag list with non-empty tags and keeps the rest', async () => {
    const registered = whiteboardOf('wb-retag');
    await alice.register(registered);
    await alice.update(lzyWhiteboard.Whiteboard.create({ id: 'wb-retag', tags: ['reviewed'] }));
    expect(await alice.get('wb-retag')).toEqual({ ...registered, tags: ['reviewed'] });
    const fields = [{ name: 'only', scheme: registered.fields[0]!.scheme }];
    await alice.update(
      lzyWhiteboard.Whiteboard.create({ id: 'wb-retag', fields, name: 'renamed' }),
    );
    expect(await alice.get('wb-retag')).toEqual({
      ...registered,
      tags: ['reviewed'],
      fields,
      name: 'renamed',
    });
  });

  it('hides a whiteboard from another user: NOT_FOUND on Get, no update, absent from List', async () => {
    await alice.register(whiteboardOf('wb-private', { name: 'private' }));
    await expect(bob.get('wb-private')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(bob.get('wb-never-registered')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      bob.update(lzyWhiteboard.Whiteboard.create({ id: 'wb-private', name: 'stolen' })),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await bob.list({ name: 'private' })).toEqual([]);
    expect((await alice.get('wb-private'))?.name).toBe('private');
  });

  it('lets a user holding the reader role on a whiteboard read it', async () => {
    await alice.register(whiteboardOf('wb-shared'));
    stack.iam.bind('wb-shared', 'lzy.whiteboard.reader', 'bob');
    expect((await bob.get('wb-shared'))?.id).toBe('wb-shared');
    expect(await bob.list({})).not.toContainEqual(expect.objectContaining({ id: 'wb-shared' }));
  });

  it('answers NOT_FOUND to an update of an unknown whiteboard', async () => {
    await expect(
      alice.update(lzyWhiteboard.Whiteboard.create({ id: 'wb-missing', status: FINALIZED })),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each([
    ['whiteboard.id', { id: '' }],
    ['whiteboard.name', { name: ' ' }],
    ['whiteboard.fields', { fields: [] }],
    ['whiteboard.namespace', { namespace: '' }],
    ['whiteboard.storage.name', { storage: { name: '', description: '', uri: 's3://b/w' } }],
    ['whiteboard.storage.uri', { storage: { name: 's', description: '', uri: '' } }],
    ['whiteboard.createdAt', { createdAt: undefined }],
    ['whiteboard.status', { status: WHITEBOARD_STATUS_UNSPECIFIED }],
    [
      'whiteboard.fields[0].name',
      { fields: [{ name: '', scheme: whiteboardOf('x').fields[0]!.scheme }] },
    ],
    ['whiteboard.fields[0].scheme.dataFormat', { fields: [{ name: 'f', scheme: undefined }] }],
  ] as [string, Partial<lzyWhiteboard.Whiteboard>][])(
    'rejects a registration without %s with INVALID_ARGUMENT naming it',
    async (member, change) => {
      await expect(alice.register(whiteboardOf('wb-invalid', change))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(member) as string,
      });
    },
  );

  it('rejects a second registration of an id with ALREADY_EXISTS and grants nothing', async () => {
    await alice.register(whiteboardOf('wb-dup'));
    await expect(bob.register(whiteboardOf('wb-dup', { name: 'mine' }))).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect(stack.iam.rolesOf('wb-dup', 'bob')).toEqual([]);
    expect((await alice.get('wb-dup'))?.name).toBe('experiment');
  });

  it('stores nothing when iam cannot bind the owner', async () => {
    stack.iam.failBindingsWith = new Unavailable('iam is down');
    try {
      await expect(alice.register(whiteboardOf('wb-no-iam'))).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
    } finally {
      stack.iam.failBindingsWith = undefined;
    }
    expect(await alice.list({ name: 'no-iam' })).toEqual([]);
    await alice.register(whiteboardOf('wb-no-iam', { name: 'no-iam' }));
    expect((await alice.get('wb-no-iam'))?.status).toBe(CREATED);
  });

  it('answers INTERNAL and stores nothing when iam refuses the owner binding', async () => {
    stack.iam.failBindingsWith = new PermissionDenied('not internal');
    try {
      await expect(alice.register(whiteboardOf('wb-refused'))).rejects.toMatchObject({
        code: status.INTERNAL,
      });
    } finally {
      stack.iam.failBindingsWith = undefined;
    }
    await expect(alice.get('wb-refused')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects a call without a token with UNAUTHENTICATED', async () => {
    const anonymous = rpcs(whiteboardClient(stack.address));
    await expect(anonymous.get('wb-get')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(anonymous.list({})).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
