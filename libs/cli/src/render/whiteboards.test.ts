import { describe, expect, it } from 'vitest';
import { lzyWhiteboard } from '@lzy/proto';
import { renderWhiteboardTable, renderWhiteboardsJson } from './whiteboards.ts';

const metrics: lzyWhiteboard.Whiteboard = {
  id: 'wb-1',
  name: 'metrics',
  tags: ['nightly', 'gpu'],
  fields: [
    {
      name: 'loss',
      scheme: { dataFormat: 'pickle', schemeFormat: 'no_schema', schemeContent: '', metadata: {} },
    },
    { name: 'model' },
  ],
  storage: { name: 'default', description: '', uri: 's3://bucket/whiteboards/metrics/wb-1' },
  namespace: 'default',
  status: lzyWhiteboard.Whiteboard_Status.FINALIZED,
  createdAt: new Date('2025-01-31T12:00:00.000Z'),
};
const bare: lzyWhiteboard.Whiteboard = {
  id: 'wb-2',
  name: 'x',
  tags: [],
  fields: [],
  namespace: '',
  status: lzyWhiteboard.Whiteboard_Status.CREATED,
};

describe('renderWhiteboardTable', () => {
  it('shows id, name, status, tags, createdAt and field names', () => {
    expect(renderWhiteboardTable([metrics, bare])).toBe(
      [
        'ID    NAME     STATUS     TAGS         CREATED                   FIELDS',
        'wb-1  metrics  FINALIZED  nightly,gpu  2025-01-31T12:00:00.000Z  loss,model',
        'wb-2  x        CREATED    -            -                         -',
        '',
      ].join('\n'),
    );
  });

  it('says so when there are none', () => {
    expect(renderWhiteboardTable([])).toBe('no whiteboards\n');
  });
});

describe('renderWhiteboardsJson', () => {
  it('prints stable keys with the status name and ISO times', () => {
    expect(JSON.parse(renderWhiteboardsJson([metrics, bare]))).toEqual([
      {
        id: 'wb-1',
        name: 'metrics',
        status: 'FINALIZED',
        tags: ['nightly', 'gpu'],
        namespace: 'default',
        createdAt: '2025-01-31T12:00:00.000Z',
        storageUri: 's3://bucket/whiteboards/metrics/wb-1',
        fields: [
          { name: 'loss', dataFormat: 'pickle', schemeFormat: 'no_schema' },
          { name: 'model', dataFormat: '', schemeFormat: '' },
        ],
      },
      {
        id: 'wb-2',
        name: 'x',
        status: 'CREATED',
        tags: [],
        namespace: '',
        createdAt: null,
        storageUri: null,
        fields: [],
      },
    ]);
  });

  it('prints an empty array when there are none', () => {
    expect(renderWhiteboardsJson([])).toBe('[]\n');
  });
});
