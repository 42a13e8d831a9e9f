import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Metadata, credentials } from '@grpc/grpc-js';
import { signLzyJwt } from '@lzy/auth';
import { serverStream, unaryCall } from '@lzy/grpc';
import { longrunning, lzyWorkflowService } from '@lzy/proto';
import { pollUntil, s3Client } from '@lzy/testing';
import type { CleanupStack, S3Config } from '@lzy/testing';

const WORKFLOW = 'double-it';

export interface DoubleItOptions {
  /** host:port of lzy-service. */
  endpoint: string;
  /** A user iam knows (ensureLocalUser) and the private half of its key. */
  login: string;
  privateKeyPem: string;
  /** The suite's S3 server, to read the stored output back. */
  s3: S3Config;
  cleanup: CleanupStack;
}

export interface DoubleItResult {
  /** 'completed' or 'failed: <description>'. */
  outcome: string;
  /** The consumer's output as stored in S3. */
  doubled: string;
  /** What ReadStdSlots delivered (it ends when the workflow is finished). */
  stdout: string;
}

/**
 * One workflow through every service, as a client on the public API sees it: a producer op
 * writes 21, a consumer op doubles it reading the producer's output straight from its worker;
 * the portal persists both outputs to S3; GraphStatus reaches completed; stdout reaches
 * ReadStdSlots; FinishWorkflow completes and ends the std stream.
 */
export async function runDoubleIt(options: DoubleItOptions): Promise<DoubleItResult> {
  const { cleanup } = options;
  const token = signLzyJwt({
    issuer: options.login,
    provider: 'GITHUB',
    privateKeyPem: options.privateKeyPem,
    nowMs: Date.now(),
  });
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const client = new lzyWorkflowService.LzyWorkflowServiceClient(
    options.endpoint,
    credentials.createInsecure(),
  );
  const operations = new longrunning.LongRunningServiceClient(
    options.endpoint,
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
  if (outcome !== 'completed') return { outcome, doubled: '', stdout: stdout.join('') };

  const s3 = s3Client(options.s3);
  cleanup.defer(() => s3.destroy());
  const [bucket, ...key] = doubledUri.slice('s3://'.length).split('/');
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }));
  const doubled = (await object.Body!.transformToString()).trim();

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
  await stdStream;
  return { outcome, doubled, stdout: stdout.join('') };
}
