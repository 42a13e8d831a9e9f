import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import { unaryCall } from '@lzy/grpc';
import { ensureLocalUser, startLocalSuite } from '@lzy/local-suite';
import type { LocalSuite } from '@lzy/local-suite';
import { longrunning, lzyWhiteboard, lzyWhiteboardService, lzyWorkflowService } from '@lzy/proto';
import { CleanupStack, pollUntil } from '@lzy/testing';
import { lzy } from './in-process-lzy.ts';
import { testSuiteInfra } from '@lzy/local-suite';

const WORKFLOW = 'cli-echo';
const USER = 'cli-alice';

describe('the lzy command against a local suite', () => {
  const cleanup = new CleanupStack();
  let suite: LocalSuite;
  let home: string;
  let metadata: Metadata;
  let workflows: lzyWorkflowService.LzyWorkflowServiceClient;
  let internalPrivateKeyPem: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'lzy-cli-'));
    cleanup.defer(() => rm(home, { recursive: true, force: true }));
    const infra = await testSuiteInfra(cleanup, { prefix: 'cli' });
    suite = cleanup.push(await startLocalSuite({ infra, randomPorts: true }));
    internalPrivateKeyPem = infra.internalKeys.privateKeyPem;
    const userKeys = await generateRsaKeyPair();
    await ensureLocalUser({
      iamAddress: suite.addresses.iam,
      internalPrivateKeyPem: infra.internalKeys.privateKeyPem,
      login: USER,
      publicKeyPem: userKeys.publicKeyPem,
      clock: { now: () => Date.now() },
    });
    await writeFile(join(home, 'user.pem'), userKeys.privateKeyPem, { mode: 0o600 });
    await writeClientConfig(join(home, 'client.json'), USER);
    metadata = new Metadata();
    metadata.set(
      'authorization',
      `Bearer ${signLzyJwt({ issuer: USER, provider: 'GITHUB', privateKeyPem: userKeys.privateKeyPem, nowMs: Date.now() })}`,
    );
    workflows = new lzyWorkflowService.LzyWorkflowServiceClient(
      suite.addresses['lzy-service'],
      credentials.createInsecure(),
    );
    cleanup.defer(() => workflows.close());
  });

  afterAll(() => cleanup.close());

  function writeClientConfig(path: string, user: string, keyPath = 'user.pem') {
    return writeFile(
      path,
      JSON.stringify({
        endpoint: suite.addresses['lzy-service'],
        whiteboardEndpoint: suite.addresses.whiteboard,
        user,
        keyPath,
      }),
    );
  }

  /** Starts `workflowName` and submits one op running `command`; returns without waiting. */
  async function submitOneOp(workflowName: string, command: string) {
    const started = await unaryCall(
      workflows.startWorkflow.bind(workflows),
      { workflowName },
      { metadata },
    );
    const executionId = started.executionId;
    const outUri = `${started.internalSnapshotStorage!.uri}/data/${randomUUID()}`;
    const { graphId } = await unaryCall(
      workflows.executeGraph.bind(workflows),
      {
        workflowName,
        executionId,
        graph: {
          name: '',
          parentGraphId: '',
          zone: '',
          dataDescriptions: [{ storageUri: outUri }],
          operations: [
            {
              name: 'one',
              description: '',
              command,
              inputSlots: [],
              outputSlots: [{ path: '/o1/out', storageUri: outUri }],
              dockerImage: '',
              poolSpecName: 's',
            },
          ],
        },
      },
      { metadata },
    );
    return { executionId, graphId };
  }

  async function finishWorkflow(workflowName: string, executionId: string) {
    const operations = new longrunning.LongRunningServiceClient(
      suite.addresses['lzy-service'],
      credentials.createInsecure(),
    );
    try {
      const finish = await unaryCall(
        workflows.finishWorkflow.bind(workflows),
        { workflowName, executionId, reason: 'done' },
        { metadata },
      );
      await pollUntil(
        async () => {
          const operation = await unaryCall(
            operations.get.bind(operations),
            { operationId: finish.id },
            { metadata },
          );
          return operation.done ? operation : undefined;
        },
        { timeoutMs: 60_000, description: 'FinishWorkflow done' },
      );
    } finally {
      operations.close();
    }
  }

  it('follows a graph to completed, then prints the op output until the workflow ends', async () => {
    const { executionId, graphId } = await submitOneOp(
      WORKFLOW,
      'echo hello from the op; printf done > "$LZY_MOUNT/o1/out"',
    );

    // Not a terminal: each distinct frame once, the last one the final state.
    const watched = await lzy(home).run('status', '--watch', executionId, graphId);
    expect(watched.code).toBe(0);
    expect(watched.stderr).toBe('');
    expect(watched.stdout.endsWith(`graph ${graphId}: completed\n`)).toBe(true);

    const status = await lzy(home).run('status', executionId, graphId);
    expect(status).toEqual({ code: 0, stdout: `graph ${graphId}: completed\n`, stderr: '' });

    const known = await lzy(home).run('status', executionId);
    expect(known.code).toBe(0);
    expect(known.stdout).toContain(`execution ${executionId}: active`);
    expect(known.stdout).toContain(`lzy status ${executionId} <graphId>`);

    const logs = lzy(home);
    const logsDone = logs.run('logs', executionId);
    await pollUntil(() => (logs.stdout().includes('hello from the op\n') ? true : undefined), {
      timeoutMs: 30_000,
      description: 'the op line printed by lzy logs',
    });
    await finishWorkflow(WORKFLOW, executionId);
    const result = await logsDone;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('hello from the op\n');
    expect(result.stderr).toBe('');
  });

  it('shows a failed graph with its description and exits 1', async () => {
    const workflowName = 'cli-fails';
    const { executionId, graphId } = await submitOneOp(workflowName, 'echo broken >&2; exit 3');
    try {
      const watched = await lzy(home).run('status', '--watch', executionId, graphId);
      expect(watched.code).toBe(1);
      expect(watched.stdout).toContain(`graph ${graphId}: failed\n`);
      const status = await lzy(home).run('status', executionId, graphId);
      expect(status.code).toBe(1);
      expect(status.stdout).toMatch(new RegExp(`^graph ${graphId}: failed\\n(  .*\\n)+$`));
    } finally {
      // Abort, not Finish: at the time of writing FinishWorkflow after a failed graph never
      // completed (its operation stayed not done for more than 60 s).
      await unaryCall(
        workflows.abortWorkflow.bind(workflows),
        { workflowName, executionId, reason: 'test over' },
        { metadata },
      );
    }
  });

  it('lists a registered whiteboard as JSON and as a table', async () => {
    const id = randomUUID();
    const whiteboards = new lzyWhiteboardService.LzyWhiteboardServiceClient(
      suite.addresses.whiteboard,
      credentials.createInsecure(),
    );
    cleanup.defer(() => whiteboards.close());
    await unaryCall(
      whiteboards.registerWhiteboard.bind(whiteboards),
      {
        whiteboard: {
          id,
          name: 'cli-metrics',
          tags: ['nightly'],
          fields: [
            {
              name: 'loss',
              scheme: {
                dataFormat: 'pickle',
                schemeFormat: 'no_schema',
                schemeContent: '',
                metadata: {},
              },
            },
          ],
          storage: {
            name: 'default',
            description: '',
            uri: `s3://bucket/whiteboards/cli-metrics/${id}`,
          },
          namespace: 'default',
          status: lzyWhiteboard.Whiteboard_Status.CREATED,
          createdAt: new Date('2025-01-31T12:00:00Z'),
        },
      },
      { metadata },
    );

    const json = await lzy(home).run('whiteboards', '--json', '--tag', 'nightly');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        id,
        name: 'cli-metrics',
        status: 'CREATED',
        tags: ['nightly'],
        namespace: 'default',
        createdAt: '2025-01-31T12:00:00.000Z',
        storageUri: `s3://bucket/whiteboards/cli-metrics/${id}`,
        fields: [{ name: 'loss', dataFormat: 'pickle', schemeFormat: 'no_schema' }],
      },
    ]);

    const table = await lzy(home).run('whiteboards', '--name', 'cli-metrics');
    expect(table.stdout).toMatch(/^ID\s+NAME\s+STATUS\s+TAGS\s+CREATED\s+FIELDS\n/);
    expect(table.stdout).toContain(
      `${id}  cli-metrics  CREATED  nightly  2025-01-31T12:00:00.000Z  loss`,
    );

    const none = await lzy(home).run('whiteboards', '--until', '2025-01-30T00:00:00Z', '--json');
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it('reports a NOT_FOUND status as one line and exits 1', async () => {
    const result = await lzy(home).run('status', 'no-such-execution', 'no-such-graph');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^lzy: NOT_FOUND: [^\n]+\n$/);
  });

  it('reports a token iam does not accept as one PERMISSION_DENIED line and exits 1', async () => {
    const config = join(home, 'stranger.json');
    await writeClientConfig(config, 'cli-stranger');
    // An unknown user: IAM says PERMISSION_DENIED without a reason (public-api.md §4.2).
    for (const argv of [
      ['whiteboards', '--config', config],
      ['status', '--config', config, 'e1', 'g1'],
    ]) {
      const result = await lzy(home).run(...argv);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^lzy: PERMISSION_DENIED: [^\n]*check that `user` and `keyPath`[^\n]*\n$/,
      );
    }
  });

  it('reports a missing client config or key as one line and exits 1', async () => {
    const missing = await lzy(home).run('logs', '--config', join(home, 'nope.json'), 'e1');
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: `lzy: no client config at ${join(home, 'nope.json')}: start the local suite with \`lzy up\`, or pass --config\n`,
    });
    const config = join(home, 'no-key.json');
    await writeClientConfig(config, USER, 'missing.pem');
    const noKey = await lzy(home).run('status', '--config', config, 'e1');
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/^lzy: cannot read the private key .*missing\.pem: ENOENT/);
  });

  it('add-user lets a new user in with their key; before it their token is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lzy-cli-bob-'));
    cleanup.defer(() => rm(dir, { recursive: true, force: true }));
    const bobKeys = await generateRsaKeyPair();
    await writeFile(join(dir, 'user.pem'), bobKeys.privateKeyPem, { mode: 0o600 });
    await writeFile(join(dir, 'bob.pub'), bobKeys.publicKeyPem);
    await writeFile(join(dir, 'internal.pem'), internalPrivateKeyPem, { mode: 0o600 });
    await writeFile(
      join(dir, 'client.json'),
      JSON.stringify({
        endpoint: suite.addresses['lzy-service'],
        whiteboardEndpoint: suite.addresses.whiteboard,
        user: 'cli-bob',
        keyPath: 'user.pem',
      }),
    );

    const refused = await lzy(dir).run('whiteboards', '--json');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('PERMISSION_DENIED');

    const added = await lzy(dir).run(
      'add-user',
      ...['--iam', suite.addresses.iam, '--internal-key', 'internal.pem'],
      ...['--login', 'cli-bob', '--public-key', 'bob.pub'],
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout.trim()).not.toBe('');

    const listed = await lzy(dir).run('whiteboards', '--json');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(listed.stdout)).toEqual([]);

    const again = await lzy(dir).run(
      'add-user',
      ...['--iam', suite.addresses.iam, '--internal-key', 'internal.pem'],
      ...['--login', 'cli-bob', '--public-key', 'bob.pub'],
    );
    expect(again.stdout).toBe(added.stdout);
  });

  it('add-user refuses a key file that is not a PEM public key, naming the option', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lzy-cli-bad-'));
    cleanup.defer(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'internal.pem'), internalPrivateKeyPem);
    await writeFile(join(dir, 'bad.pub'), 'not a key');
    const result = await lzy(dir).run(
      'add-user',
      ...['--iam', suite.addresses.iam, '--internal-key', 'internal.pem'],
      ...['--login', 'x', '--public-key', 'bad.pub'],
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/INVALID_ARGUMENT.*--public-key bad\.pub/);
  });

  it('exits 2 with the usage for an unknown command', async () => {
    const result = await lzy(home).run('deploy');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("lzy: unknown command 'deploy'");
    expect(result.stderr).toContain('Usage: lzy <command>');
  });

  it('runs a program with the client config and progress variables and returns its exit code', async () => {
    const program = join(home, 'program.ts');
    await writeFile(
      program,
      [
        'const args: string[] = process.argv.slice(2);',
        "console.log(`${process.env['LZY_CLIENT_CONFIG']} ${process.env['LZY_PROGRESS']} ${args.join(' ')}`);",
        "console.error('to stderr');",
        'process.exit(3);',
      ].join('\n'),
    );
    const result = await lzy(home).run('run', 'program.ts', '--epochs', '3');
    expect(result).toEqual({
      code: 3,
      stdout: `${join(home, 'client.json')} 1 --epochs 3\n`,
      stderr: 'to stderr\n',
    });
  });
});
