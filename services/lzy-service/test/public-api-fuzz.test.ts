/**
 * Hostile input on the public API (issue 13, item 10): whatever a client sends as names, URIs
 * and slot paths, lzy-service answers with a status the user can act on (OK, INVALID_ARGUMENT,
 * NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, FAILED_PRECONDITION), never INTERNAL or UNKNOWN,
 * and an execution it started can always be finished (no stuck portal VM).
 */
import { randomUUID } from 'node:crypto';
import { status as grpcStatus } from '@grpc/grpc-js';
import fc from 'fast-check';
import { unaryCall } from '@lzy/grpc';
import { usePostgres } from '@lzy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLzyService } from '../src/index.ts';
import type { RunningLzyService } from '../src/index.ts';
import { ClusterDouble } from './doubles/cluster-double.ts';
import {
  graphOf,
  lzyServiceTemplate,
  operation,
  publicClients,
  silentLog,
  testServiceConfig,
} from './fixtures.ts';

const pg = usePostgres({ template: lzyServiceTemplate });
const cluster = new ClusterDouble();
let service: RunningLzyService;
let alice: ReturnType<typeof publicClients>;

const ACTIONABLE: ReadonlySet<number> = new Set<number>([
  grpcStatus.OK,
  grpcStatus.INVALID_ARGUMENT,
  grpcStatus.NOT_FOUND,
  grpcStatus.ALREADY_EXISTS,
  grpcStatus.PERMISSION_DENIED,
  grpcStatus.FAILED_PRECONDITION,
  grpcStatus.RESOURCE_EXHAUSTED,
]);

/** The gRPC code of a call's outcome (OK when it resolved). */
async function codeOf(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
    return { code: grpcStatus.OK, message: '' };
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown; details?: unknown } }).cause;
    const code = typeof cause?.code === 'number' ? cause.code : grpcStatus.UNKNOWN;
    return { code, message: String((err as Error).message) };
  }
}

/** Strings a hostile client sends: unicode, NUL, `..`, slashes, very long. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\0', '../../etc/passwd', 'a/../../b', '/', 'x'.repeat(5000)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3000 }),
);

/** Names of pylzy's alphabet, some longer than any limit. */
const validName = fc.stringMatching(/^[A-Za-z0-9_-]{1,3000}$/);

beforeAll(async () => {
  await cluster.start(silentLog);
  service = await startLzyService(testServiceConfig(pg.url, cluster.address), { log: silentLog });
  expect(await service.ready).toBe(true);
  alice = publicClients(`127.0.0.1:${service.port}`, 'alice.test.token');
});

afterAll(async () => {
  alice?.close();
  await service?.stop();
  await cluster.stop();
});

describe('the public API under hostile input', () => {
  it('StartWorkflow: any workflow name gets an actionable status, and a started one finishes', async () => {
    const c = alice.workflow;
    await fc.assert(
      // Valid-looking names too (up to past the length limit), so some start and must end.
      fc.asyncProperty(fc.oneof(hostile, validName), async (workflowName) => {
        let executionId = '';
        const started = await codeOf(
          alice.start(workflowName).then((r) => (executionId = r.executionId)),
        );
        expect(ACTIONABLE.has(started.code), `${started.code}: ${started.message}`).toBe(true);
        if (started.code !== (grpcStatus.OK as number)) return;
        const aborted = await codeOf(
          unaryCall(c.abortWorkflow.bind(c), { workflowName, executionId, reason: 'fuzz' }),
        );
        expect(aborted, 'a started execution can always be aborted').toEqual({
          code: grpcStatus.OK,
          message: '',
        });
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('ExecuteGraph: any op name, slot path and storage URI gets an actionable status', async () => {
    const workflowName = `fuzz-${randomUUID()}`;
    const { executionId } = await alice.start(workflowName);
    const c = alice.workflow;
    await fc.assert(
      fc.asyncProperty(hostile, hostile, hostile, async (name, path, uriTail) => {
        const op = operation('op', [], [`s3://tmp-bucket-alice/${randomUUID()}`]);
        const graph = graphOf([
          {
            ...op,
            name,
            inputSlots: [{ path, storageUri: `s3://tmp-bucket-alice/${uriTail}` }],
          },
        ]);
        const result = await codeOf(
          unaryCall(c.executeGraph.bind(c), { workflowName, executionId, graph }),
        );
        expect(ACTIONABLE.has(result.code), `${result.code}: ${result.message}`).toBe(true);
      }),
      { numRuns: 40 },
    );
    await unaryCall(c.abortWorkflow.bind(c), { workflowName, executionId, reason: 'fuzz done' });
  }, 120_000);
});
