import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Metadata, credentials } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import { serverStream, unaryCall } from '@lzy/grpc';
import { longrunning, lzyWorkflowService } from '@lzy/proto';
import { CleanupStack, pollUntil, s3Client, s3Config } from '@lzy/testing';
import { ensureLocalUser } from '../src/local-user.ts';
import { startLocalSuite } from '../src/local-suite.ts';
import type { LocalSuite } from '../src/local-suite.ts';
import { startSuiteProcesses } from '../src/suite-processes.ts';
import type { SuiteInfra } from '../src/suite-env.ts';
import { suiteInfra } from './suite-fixture.ts';

const WORKFLOW = 'double-it';

/**
 * One workflow through every service, as a client on the public API sees it: a producer op
 * writes 21, a consumer op doubles it reading the producer's output straight from its worker;
 * the portal persists both outputs to S3; GraphStatus reaches completed; stdout reaches
 * ReadStdSlots; FinishWorkflow completes and ends the std stream.
 */
const SUITES: ReadonlyArray<readonly [string, (infra: SuiteInfra) => Promise<LocalSuite>]> = [
  [
    'all services in one process',
    (infra) =>
      startLocalSuite({
        infra,
        randomPorts: true,
      }),
  ],
  ['every service as its own process', (infra) => startSuiteProcesses(infra)],
];

describe.each(SUITES)('a workflow through the local suite (%s)', (_mode, startSuite) => {
  it('runs two dependent shell ops and stores their outputs in S3', async () => {
    await using cleanup = new CleanupStack();
    const infra = await suiteInfra(cleanup);
    const suite = await startSuite(infra);
    cleanup.push(suite);
    const userKeys = await generateRsaKeyPair();
    await ensureLocalUser({
      iamAddress: suite.addresses.iam,
      internalPrivateKeyPem: infra.internalKeys.privateKeyPem,
      login: 'alice',
      publicKeyPem: userKeys.publicKeyPem,
      clock: { now: () => Date.now() },
    });
    const token = signLzyJwt({
      issuer: 'alice',
      provider: 'GITHUB',
      privateKeyPem: userKeys.privateKeyPem,
      nowMs: Date.now(),
    });
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const client = new lzyWorkflowService.LzyWorkflowServiceClient(
      suite.addresses['lzy-service'],
      credentials.createInsecure(),
    );
    const operations = new longrunning.LongRunningServiceClient(
      suite.addresses['lzy-service'],
      credentials.createInsecure(),
    );
    cleanup.defer(() => client.close());
    cleanup.defer(() => operations.close());

    const started = await unaryCall(
      client.startWorkflow.bind(client),
      { workflowName: WORKFLOW },
      { metadata },
    );
    const executionId = started.executionId;
    const storageUri = started.internalSnapshotStorage!.uri;
    const stdout: string[] = [];
    const stdStream = (async () => {
      for await (const message of serverStream(
        client.readStdSlots.bind(client),
        { executionId },
        { metadata },
      )) {
        if (message.data?.$case === 'stdout') stdout.push(...message.data.value.data);
      }
    })();

    const producedUri = `${storageUri}/data/produced`;
    const doubledUri = `${storageUri}/data/doubled`;
    const { graphId } = await unaryCall(
      client.executeGraph.bind(client),
      {
        workflowName: WORKFLOW,
        executionId,
        graph: {
          name: '',
          parentGraphId: '',
          zone: '',
          dataDescriptions: [{ storageUri: producedUri }, { storageUri: doubledUri }],
          operations: [
            {
              name: 'produce',
              description: '',
              command: 'echo producing; printf 21 > "$LZY_MOUNT/p1/out"',
              inputSlots: [],
              outputSlots: [{ path: '/p1/out', storageUri: producedUri }],
              dockerImage: '',
              poolSpecName: 's',
            },
            {
              name: 'double',
              description: '',
              command: 'echo $(( $(cat "$LZY_MOUNT/d1/in") * 2 )) > "$LZY_MOUNT/d1/out"',
              inputSlots: [{ path: '/d1/in', storageUri: producedUri }],
              outputSlots: [{ path: '/d1/out', storageUri: doubledUri }],
              dockerImage: '',
              poolSpecName: 's',
            },
          ],
        },
      },
      { metadata },
    );

    // pollUntil stops at the first value that is not undefined: 'completed' or 'failed: …'.
    const outcome = await pollUntil(
      async () => {
        const status = await unaryCall(
          client.graphStatus.bind(client),
          { workflowName: WORKFLOW, executionId, graphId },
          { metadata },
        );
        if (status.status?.$case === 'failed') return `failed: ${status.status.value.description}`;
        return status.status?.$case === 'completed' ? 'completed' : undefined;
      },
      { timeoutMs: 60_000, description: 'graph completed or failed' },
    );
    expect(outcome).toBe('completed');

    const s3 = s3Client(s3Config());
    cleanup.defer(() => s3.destroy());
    const [bucket, ...key] = doubledUri.slice('s3://'.length).split('/');
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }));
    expect((await object.Body!.transformToString()).trim()).toBe('42');

    const finish = await unaryCall(
      client.finishWorkflow.bind(client),
      { workflowName: WORKFLOW, executionId, reason: 'done' },
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
    await stdStream;
    expect(stdout.join('')).toContain('producing');
  });
});
