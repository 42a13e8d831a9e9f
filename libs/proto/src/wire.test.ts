// Wire compatibility with LZY (shared/spec/public-api.md §12 A–D): every example is encoded with
// our generated types and compared byte for byte with the bytes the reference protobuf runtime
// produced from LZY's own .proto files, then decoded back and compared field by field. Any
// renumbering, type change or lost presence of an empty message fails here.
import { describe, expect, it } from 'vitest';
import {
  commonStorage,
  googleTimestamp,
  longrunning,
  lzyWhiteboard,
  lzyWhiteboardService,
  lzyWorkflowService,
  packAny,
  type lzyWorkflow,
} from './index.ts';

/** Normalises a spec hex listing ("0a 02 77 66 …") for comparison. */
function hex(listing: string): string {
  return listing.replace(/\s+/g, '').toLowerCase();
}

function ascii(text: string): string {
  return Buffer.from(text, 'ascii').toString('hex');
}

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** Encodes `value` and expects exactly `bytes`; decodes `bytes` and expects `value` back. */
function expectWire<T>(codec: Codec<T>, value: T, bytes: string): void {
  expect(Buffer.from(codec.encode(value).finish()).toString('hex')).toBe(hex(bytes));
  expect(codec.decode(Buffer.from(hex(bytes), 'hex'))).toEqual(value);
}

const { GraphStatusResponse, ReadStdSlotsResponse } = lzyWorkflowService;

// 2023-02-03T14:00:00Z = 1675432800 s.
const T0 = new Date(1_675_432_800_000);
const T0_BYTES = '08 e0 a6 f4 9e 06';

const STORAGE_CONFIG: commonStorage.StorageConfig = {
  uri: 's3://b',
  credentials: {
    $case: 's3',
    value: { endpoint: 'http://h:9000', accessToken: 'A', secretToken: 'K' },
  },
};
const STORAGE_CONFIG_BYTES =
  '0a 06 73 33 3a 2f 2f 62 12 15 0a 0d 68 74 74 70 3a 2f 2f 68 3a 39 30 30 30 12 01 41 1a 01 4b';

function executing(
  fields: Partial<lzyWorkflowService.GraphStatusResponse_Executing>,
): lzyWorkflowService.GraphStatusResponse {
  return {
    status: {
      $case: 'executing',
      value: {
        operationsCompleted: [],
        operationsExecuting: [],
        operationsWaiting: [],
        message: '',
        ...fields,
      },
    },
  };
}

describe('A. ExecuteGraphRequest with one operation', () => {
  const operation: lzyWorkflow.Operation = {
    name: 'f',
    description: '',
    command: 'echo',
    inputSlots: [{ path: '/c/a', storageUri: 's3://b/a' }],
    outputSlots: [{ path: '/c/r', storageUri: 's3://b/r' }],
    dockerImage: '',
    env: { $case: 'python', value: { yaml: 'y', localModules: [{ name: 'm', url: 'u' }] } },
    poolSpecName: 's',
  };
  const request: lzyWorkflowService.ExecuteGraphRequest = {
    workflowName: 'wf',
    executionId: 'e1',
    graph: {
      name: '',
      parentGraphId: '',
      operations: [operation],
      dataDescriptions: [
        {
          storageUri: 's3://b/a',
          dataScheme: {
            dataFormat: 'pickle',
            schemeFormat: 'py',
            schemeContent: '',
            metadata: { k: 'v' },
          },
        },
        { storageUri: 's3://b/r' },
      ],
      zone: '',
    },
  };
  const bytes = `
    0a 02 77 66 12 02 65 31 1a 6d 1a 3d 0a 01 66 1a 04 65 63 68 6f 22 10 0a 04 2f 63 2f 61 12 08 73 33 3a 2f 2f
    62 2f 61 2a 10 0a 04 2f 63 2f 72 12 08 73 33 3a 2f 2f 62 2f 72 3a 0b 12 01 79 1a 06 0a 01 6d 12 01 75 42 01
    73 22 20 0a 08 73 33 3a 2f 2f 62 2f 61 12 14 0a 06 70 69 63 6b 6c 65 12 02 70 79 52 06 0a 01 6b 12 01 76 22
    0a 0a 08 73 33 3a 2f 2f 62 2f 72`;

  it('encodes to the 119 reference bytes and decodes back', () => {
    expect(hex(bytes).length / 2).toBe(119);
    expectWire(lzyWorkflowService.ExecuteGraphRequest, request, bytes);
  });

  it('keeps the checkpoints: PythonEnvSpec.yaml is field 2, DataScheme.metadata field 10', () => {
    const encoded = Buffer.from(
      lzyWorkflowService.ExecuteGraphRequest.encode(request).finish(),
    ).toString('hex');
    for (const checkpoint of [
      '1a 6d',
      '1a 3d',
      '3a 0b 12 01 79',
      '42 01 73',
      '52 06 0a 01 6b 12 01 76',
    ]) {
      expect(encoded).toContain(hex(checkpoint));
    }
    const decoded = lzyWorkflowService.ExecuteGraphRequest.decode(Buffer.from(hex(bytes), 'hex'));
    const op = decoded.graph?.operations[0];
    expect(op?.env).toEqual({
      $case: 'python',
      value: { yaml: 'y', localModules: [{ name: 'm', url: 'u' }] },
    });
    expect(op?.poolSpecName).toBe('s');
    expect(decoded.graph?.dataDescriptions[0]?.dataScheme?.metadata).toEqual({ k: 'v' });
    expect(decoded.graph?.dataDescriptions[1]?.dataScheme).toBeUndefined();
  });
});

describe('B. small messages', () => {
  it('ExecuteGraphResponse', () => {
    expectWire(lzyWorkflowService.ExecuteGraphResponse, { graphId: 'g1' }, '0a 02 67 31');
  });

  it('GraphStatusResponse emits empty oneof members (pylzy tests presence)', () => {
    expectWire(GraphStatusResponse, { status: { $case: 'waiting', value: {} } }, '0a 00');
    expectWire(GraphStatusResponse, { status: { $case: 'completed', value: {} } }, '1a 00');
    expectWire(GraphStatusResponse, executing({}), '12 00');
    expectWire(
      GraphStatusResponse,
      { status: { $case: 'failed', value: { description: 'x' } } },
      '22 03 0a 01 78',
    );
  });

  it('GraphStatusResponse executing with task ids and message', () => {
    expectWire(
      GraphStatusResponse,
      executing({
        operationsCompleted: ['t1'],
        operationsExecuting: ['t2'],
        message: 'Graph status',
      }),
      '12 16 0a 02 74 31 12 02 74 32 22 0c 47 72 61 70 68 20 73 74 61 74 75 73',
    );
  });

  it('ReadStdSlotsResponse stdout and stderr', () => {
    expectWire(
      ReadStdSlotsResponse,
      { data: { $case: 'stdout', value: { data: ['hi\n'] } } },
      '0a 05 0a 03 68 69 0a',
    );
    expectWire(
      ReadStdSlotsResponse,
      { data: { $case: 'stderr', value: { data: ['e'] } } },
      '12 03 0a 01 65',
    );
  });

  it('StartWorkflowRequest without storage', () => {
    expectWire(lzyWorkflowService.StartWorkflowRequest, { workflowName: 'wf' }, '0a 02 77 66');
  });

  it('StorageConfig with S3 credentials (31 bytes)', () => {
    expect(hex(STORAGE_CONFIG_BYTES).length / 2).toBe(31);
    expectWire(commonStorage.StorageConfig, STORAGE_CONFIG, STORAGE_CONFIG_BYTES);
  });

  it('StartWorkflowResponse with internal storage', () => {
    expectWire(
      lzyWorkflowService.StartWorkflowResponse,
      { executionId: 'e1', internalSnapshotStorage: STORAGE_CONFIG },
      `0a 02 65 31 12 1f ${STORAGE_CONFIG_BYTES}`,
    );
  });

  it('StartWorkflowResponse with an empty (present) storage for user storage', () => {
    expectWire(
      lzyWorkflowService.StartWorkflowResponse,
      { executionId: 'e1', internalSnapshotStorage: { uri: '' } },
      '0a 02 65 31 12 00',
    );
  });

  it('FinishWorkflowRequest', () => {
    expectWire(
      lzyWorkflowService.FinishWorkflowRequest,
      { workflowName: 'wf', executionId: 'e1', reason: 'Workflow completed' },
      `0a 02 77 66 12 02 65 31 1a 12 ${ascii('Workflow completed')}`,
    );
  });

  it('GetOperationRequest', () => {
    expectWire(longrunning.GetOperationRequest, { operationId: 'op1' }, '0a 03 6f 70 31');
  });

  it('GetAvailablePoolsResponse (gpuCount 0 absent)', () => {
    expectWire(
      lzyWorkflowService.GetAvailablePoolsResponse,
      {
        poolSpecs: [
          {
            poolSpecName: 's',
            cpuType: 'Intel Cascade Lake',
            cpuCount: 2,
            gpuType: 'NO_GPU',
            gpuCount: 0,
            ramGb: 4,
            zones: ['z1'],
          },
        ],
      },
      '0a 27 0a 01 73 12 12 49 6e 74 65 6c 20 43 61 73 63 61 64 65 20 4c 61 6b 65 18 02 22 06 4e 4f 5f 47 50 55 30 04 3a 02 7a 31',
    );
  });

  it('google.protobuf.Timestamp', () => {
    expectWire(googleTimestamp.Timestamp, { seconds: 1_675_432_800, nanos: 0 }, T0_BYTES);
  });
});

describe('C. ai.lzy.v1.longrunning.Operation', () => {
  const typeUrl = 'type.googleapis.com/ai.lzy.v1.workflow.FinishWorkflowResponse';
  const finished: longrunning.Operation = {
    id: 'op1',
    description: 'd',
    createdAt: T0,
    createdBy: 'u',
    modifiedAt: T0,
    done: true,
    result: { $case: 'response', value: { typeUrl, value: Buffer.alloc(0) } },
  };
  const bytes = `
    0a 03 6f 70 31 12 01 64 1a 06 08 e0 a6 f4 9e 06 22 01 75 2a 06 08 e0 a6 f4 9e 06 30 01 4a 3f 0a 3d
    74 79 70 65 2e 67 6f 6f 67 6c 65 61 70 69 73 2e 63 6f 6d 2f 61 69 2e 6c 7a 79 2e 76 31 2e 77 6f 72 6b
    66 6c 6f 77 2e 46 69 6e 69 73 68 57 6f 72 6b 66 6c 6f 77 52 65 73 70 6f 6e 73 65`;

  it('encodes a finished FinishWorkflow operation to the 94 reference bytes', () => {
    expect(hex(bytes).length / 2).toBe(94);
    expectWire(longrunning.Operation, finished, bytes);
  });

  it('packs FinishWorkflowResponse with the type_url pylzy unpacks', () => {
    const packed = packAny(lzyWorkflowService.FinishWorkflowResponse, {});
    expect(packed).toEqual({ typeUrl, value: Buffer.alloc(0) });
    expectWire(
      longrunning.Operation,
      { ...finished, result: { $case: 'response', value: packed } },
      bytes,
    );
  });

  it('encodes a pending operation with only an id', () => {
    expectWire(
      longrunning.Operation,
      { id: 'op1', description: '', createdBy: '', done: false },
      '0a 03 6f 70 31',
    );
  });
});

describe('D. whiteboard', () => {
  const { Whiteboard_Status } = lzyWhiteboard;
  const whiteboard: lzyWhiteboard.Whiteboard = {
    id: 'w1',
    name: 'n',
    tags: ['t'],
    fields: [
      {
        name: 'f',
        scheme: { dataFormat: 'pickle', schemeFormat: 'py', schemeContent: '', metadata: {} },
      },
    ],
    storage: { name: 's', description: '', uri: 's3://b/w' },
    namespace: 'default',
    status: Whiteboard_Status.CREATED,
    createdAt: T0,
  };
  const emptyWhiteboard = lzyWhiteboard.Whiteboard.create();

  it('RegisterWhiteboardRequest (65 bytes)', () => {
    const bytes = `0a 3f 0a 02 77 31 12 01 6e 1a 01 74 22 11 0a 01 66 12 0c 0a 06 70 69 63 6b 6c 65 12 02 70 79 2a 0d
      0a 01 73 1a 08 73 33 3a 2f 2f 62 2f 77 32 07 64 65 66 61 75 6c 74 38 01 42 06 ${T0_BYTES}`;
    expect(hex(bytes).length / 2).toBe(65);
    expectWire(lzyWhiteboardService.RegisterWhiteboardRequest, { whiteboard }, bytes);
  });

  it("pylzy's finalize UpdateWhiteboardRequest", () => {
    expectWire(
      lzyWhiteboardService.UpdateWhiteboardRequest,
      { whiteboard: { ...emptyWhiteboard, id: 'w1', status: Whiteboard_Status.FINALIZED } },
      '0a 06 0a 02 77 31 38 02',
    );
  });

  it("pylzy's unfiltered ListRequest carries an empty, present TimeBounds", () => {
    expectWire(
      lzyWhiteboardService.ListRequest,
      { name: '', tags: [], createdTimeBounds: {} },
      '1a 00',
    );
  });

  it('ListRequest with name, tag and a lower time bound', () => {
    expectWire(
      lzyWhiteboardService.ListRequest,
      { name: 'n', tags: ['t'], createdTimeBounds: { from: T0 } },
      `0a 01 6e 12 01 74 1a 08 0a 06 ${T0_BYTES}`,
    );
  });

  it('reads the protobuf-JSON metadata file pylzy writes (§10) with the same names', () => {
    const json = {
      id: 'w1',
      name: 'n',
      tags: ['t'],
      fields: [{ name: 'f', scheme: { dataFormat: 'pickle', schemeFormat: 'py' } }],
      storage: { name: 's', uri: 's3://b/w' },
      namespace: 'default',
      status: 'CREATED',
      createdAt: '2023-02-03T14:00:00Z',
    };
    expect(lzyWhiteboard.Whiteboard.fromJSON(json)).toEqual(whiteboard);
    expect(lzyWhiteboard.TimeBounds.toJSON({ from: T0 })).toEqual({
      from: '2023-02-03T14:00:00.000Z',
    });
  });
});
