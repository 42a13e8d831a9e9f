import { randomUUID } from 'node:crypto';
import { Metadata, credentials } from '@grpc/grpc-js';
import { generateRsaKeyPair, signLzyJwt } from '@lzy/auth';
import { createChannelClient, internalCallCredentials, serverStream, unaryCall } from '@lzy/grpc';
import {
  allocator,
  channelManager,
  longrunning,
  lzyWhiteboardService,
  lzyWorkflowService,
} from '@lzy/proto';
import type { lzyWorkflow } from '@lzy/proto';
import type { CleanupStack } from '@lzy/testing';
import { pollUntil } from '@lzy/testing';
import { ensureLocalUser } from '../src/local-user.ts';
import type { LocalSuite } from '../src/local-suite.ts';
import type { SuiteInfra } from '../src/suite-env.ts';

/**
 * A user of the suite as pylzy is one: a GITHUB subject in iam with its own RSA key, talking to
 * the public API (lzy-service, whiteboard) with a self-signed bearer token.
 */
export interface SuiteUser {
  login: string;
  userId: string;
  /** Carries `authorization: Bearer <token>`. */
  metadata: Metadata;
  workflows: lzyWorkflowService.LzyWorkflowServiceClient;
  operations: longrunning.LongRunningServiceClient;
  whiteboards: lzyWhiteboardService.LzyWhiteboardServiceClient;
  /** A token of this user signed at `nowMs` living `ttlMs` (to build bad tokens). */
  tokenAt(nowMs: number, ttlMs: number): string;
}

/** Registers `login` in iam (ensureLocalUser) and opens its public clients (closed by cleanup). */
export async function suiteUser(
  suite: LocalSuite,
  infra: SuiteInfra,
  login: string,
  cleanup: CleanupStack,
): Promise<SuiteUser> {
  const keys = await generateRsaKeyPair();
  const userId = await ensureLocalUser({
    iamAddress: suite.addresses.iam,
    internalPrivateKeyPem: infra.internalKeys.privateKeyPem,
    login,
    publicKeyPem: keys.publicKeyPem,
    clock: { now: () => Date.now() },
  });
  const tokenAt = (nowMs: number, ttlMs: number) =>
    signLzyJwt({
      issuer: login,
      provider: 'GITHUB',
      privateKeyPem: keys.privateKeyPem,
      nowMs,
      ttlMs,
    });
  const metadata = bearer(tokenAt(Date.now(), 3_600_000));
  const insecure = credentials.createInsecure();
  const lzy = suite.addresses['lzy-service'];
  const workflows = new lzyWorkflowService.LzyWorkflowServiceClient(lzy, insecure);
  const operations = new longrunning.LongRunningServiceClient(lzy, insecure);
  const whiteboards = new lzyWhiteboardService.LzyWhiteboardServiceClient(
    suite.addresses.whiteboard,
    insecure,
  );
  cleanup.defer(() => workflows.close());
  cleanup.defer(() => operations.close());
  cleanup.defer(() => whiteboards.close());
  return { login, userId, metadata, workflows, operations, whiteboards, tokenAt };
}

/** Metadata with `authorization: Bearer <token>`. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Internal clients (allocator, channel-manager) signed as the services' internal identity. */
export interface InternalClients {
  allocator: allocator.AllocatorServiceClient;
  channels: channelManager.ChannelManagerServiceClient;
}

export function internalClients(
  suite: LocalSuite,
  infra: SuiteInfra,
  cleanup: CleanupStack,
): InternalClients {
  const callCredentials = internalCallCredentials({
    privateKeyPem: infra.internalKeys.privateKeyPem,
    clock: { now: () => Date.now() },
  });
  const allocatorClient = createChannelClient(
    allocator.AllocatorServiceClient,
    suite.addresses.allocator,
    { callCredentials },
  );
  const channels = createChannelClient(
    channelManager.ChannelManagerServiceClient,
    suite.addresses['channel-manager'],
    { callCredentials },
  );
  cleanup.defer(() => allocatorClient.close());
  cleanup.defer(() => channels.close());
  return { allocator: allocatorClient, channels };
}

/** Every VM the allocator knows (all pages). */
export async function listVms(clients: InternalClients): Promise<allocator.Vm[]> {
  const c = clients.allocator;
  const vms: allocator.Vm[] = [];
  let pageToken = '';
  do {
    const page = await unaryCall(c.listVms.bind(c), { sessionId: '', pageSize: 0, pageToken });
    vms.push(...page.vms);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return vms;
}

/** One active execution of a workflow of `user`. */
export interface Execution {
  user: SuiteUser;
  workflowName: string;
  executionId: string;
  /** s3://… of the internal snapshot storage. */
  storageUri: string;
}

export async function startExecution(user: SuiteUser, workflowName: string): Promise<Execution> {
  const c = user.workflows;
  const started = await unaryCall(
    c.startWorkflow.bind(c),
    { workflowName },
    { metadata: user.metadata },
  );
  return {
    user,
    workflowName,
    executionId: started.executionId,
    storageUri: started.internalSnapshotStorage!.uri,
  };
}

/** A shell op in pool `s` with no slots (or the given ones). */
export function shellOp(
  name: string,
  command: string,
  slots: Partial<Pick<lzyWorkflow.Operation, 'inputSlots' | 'outputSlots' | 'poolSpecName'>> = {},
): lzyWorkflow.Operation {
  return {
    name,
    description: '',
    command,
    inputSlots: slots.inputSlots ?? [],
    outputSlots: slots.outputSlots ?? [],
    dockerImage: '',
    poolSpecName: slots.poolSpecName ?? 's',
  };
}

export async function executeGraph(
  execution: Execution,
  operations: lzyWorkflow.Operation[],
): Promise<string> {
  const { user, workflowName, executionId } = execution;
  const c = user.workflows;
  const dataDescriptions = operations
    .flatMap((op) => op.outputSlots)
    .map((slot) => ({ storageUri: slot.storageUri }));
  const { graphId } = await unaryCall(
    c.executeGraph.bind(c),
    {
      workflowName,
      executionId,
      graph: { name: '', parentGraphId: '', zone: '', dataDescriptions, operations },
    },
    { metadata: user.metadata },
  );
  return graphId;
}

export async function graphStatus(
  execution: Execution,
  graphId: string,
  user: SuiteUser = execution.user,
): Promise<lzyWorkflowService.GraphStatusResponse> {
  const c = user.workflows;
  return unaryCall(
    c.graphStatus.bind(c),
    { workflowName: execution.workflowName, executionId: execution.executionId, graphId },
    { metadata: user.metadata },
  );
}

/** `completed` or `failed: <description>`, whichever GraphStatus reaches first. */
export function graphOutcome(execution: Execution, graphId: string): Promise<string> {
  return pollUntil(
    async () => {
      const { status } = await graphStatus(execution, graphId);
      if (status?.$case === 'failed') return `failed: ${status.value.description}`;
      return status?.$case === 'completed' ? 'completed' : undefined;
    },
    { timeoutMs: 60_000, description: `graph ${graphId} completed or failed` },
  );
}

/** FinishWorkflow, then waits for its operation (LongRunningService.Get) to be done. */
export async function finishExecution(execution: Execution): Promise<longrunning.Operation> {
  const { user, workflowName, executionId } = execution;
  const c = user.workflows;
  const finish = await unaryCall(
    c.finishWorkflow.bind(c),
    { workflowName, executionId, reason: 'done' },
    { metadata: user.metadata },
  );
  const ops = user.operations;
  return pollUntil(
    async () => {
      const operation = await unaryCall(
        ops.get.bind(ops),
        { operationId: finish.id },
        { metadata: user.metadata },
      );
      return operation.done ? operation : undefined;
    },
    { timeoutMs: 60_000, description: 'FinishWorkflow done' },
  );
}

/** ReadStdSlots of an execution, read in the background. */
export class StdReader {
  stdout = '';
  stderr = '';
  /** Resolves with undefined when the stream ended with OK, or with its error. */
  readonly ended: Promise<unknown>;

  constructor(execution: Execution, user: SuiteUser = execution.user) {
    const c = user.workflows;
    const stream = serverStream(
      c.readStdSlots.bind(c),
      { executionId: execution.executionId },
      { metadata: user.metadata },
    );
    this.ended = (async () => {
      try {
        for await (const message of stream) {
          if (message.data?.$case === 'stdout') this.stdout += message.data.value.data.join('');
          if (message.data?.$case === 'stderr') this.stderr += message.data.value.data.join('');
        }
        return undefined;
      } catch (err) {
        return err;
      }
    })();
  }

  /** Resolves once stdout contains `text`. */
  async stdoutContains(text: string): Promise<void> {
    await pollUntil(() => (this.stdout.includes(text) ? true : undefined), {
      timeoutMs: 60_000,
      description: `stdout containing '${text}' (got '${this.stdout}')`,
    });
  }
}

/** A string no other process on the machine has in its command line. */
export function uniqueMarker(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}
