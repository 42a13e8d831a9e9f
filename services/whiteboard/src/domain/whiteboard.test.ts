import { describe, expect, it } from 'vitest';
import { applyUpdate, checkQueryLimits, validateRegistration } from './whiteboard.ts';
import type { Whiteboard, WhiteboardInput } from './whiteboard.ts';

const scheme = { dataFormat: 'pickle', schemeFormat: 'py', schemeContent: '', metadata: {} };

const stored: Whiteboard = {
  id: 'w1',
  name: 'n',
  tags: ['b', 'a'],
  fields: [{ name: 'f', scheme }],
  storage: { name: 's', description: '', uri: 's3://b/w1' },
  namespace: 'default',
  status: 'CREATED',
  createdAt: { seconds: 1675432800, nanos: 5 },
};

const empty: WhiteboardInput = {
  id: 'w1',
  name: '',
  tags: [],
  fields: [],
  storage: { name: '', description: '', uri: '' },
  namespace: '',
  status: undefined,
  createdAt: undefined,
};

describe('validateRegistration', () => {
  it('accepts a complete whiteboard unchanged', () => {
    expect(validateRegistration({ ...stored })).toEqual(stored);
  });

  it('names a field whose scheme lacks its schemeFormat', () => {
    const fields = [
      { name: 'f', scheme },
      { name: 'g', scheme: { ...scheme, schemeFormat: '' } },
    ];
    expect(() => validateRegistration({ ...stored, fields })).toThrow(
      'whiteboard.fields[1].scheme.schemeFormat is blank',
    );
  });

  it('refuses a field name given twice and a status outside the enum', () => {
    const fields = [
      { name: 'f', scheme },
      { name: 'f', scheme },
    ];
    expect(() => validateRegistration({ ...stored, fields })).toThrow("field 'f' twice");
    expect(() => validateRegistration({ ...stored, status: 'UNKNOWN' })).toThrow(
      'whiteboard.status',
    );
  });

  it('refuses createdAt with zero seconds', () => {
    expect(() => validateRegistration({ ...stored, createdAt: { seconds: 0, nanos: 7 } })).toThrow(
      'whiteboard.createdAt',
    );
  });
});

describe('applyUpdate', () => {
  it('keeps everything for an update carrying only the id', () => {
    expect(applyUpdate(stored, empty)).toEqual(stored);
  });

  it('replaces each member that is given, lists as a whole', () => {
    const update: WhiteboardInput = {
      ...empty,
      tags: ['c'],
      storage: { name: '', description: 'd', uri: '' },
      status: 'FINALIZED',
      createdAt: { seconds: 1, nanos: 2 },
    };
    expect(applyUpdate(stored, update)).toEqual({
      ...stored,
      tags: ['c'],
      storage: { ...stored.storage, description: 'd' },
      status: 'FINALIZED',
      createdAt: { seconds: 1, nanos: 2 },
    });
  });
});

describe('limits', () => {
  it('refuses oversized names, too many tags and a bad createdAt, naming the member', () => {
    expect(() => validateRegistration({ ...stored, id: 'x'.repeat(3000) })).toThrow(
      'whiteboard.id is 3000 characters long, over the 256 allowed',
    );
    const tags = Array.from({ length: 257 }, (_, i) => `t${i}`);
    expect(() => validateRegistration({ ...stored, tags })).toThrow(/whiteboard.tags has 257/);
    const createdAt = { seconds: 1675432800, nanos: 1_000_000_000 };
    expect(() => validateRegistration({ ...stored, createdAt })).toThrow(
      'whiteboard.createdAt.nanos must be 0..999999999',
    );
    expect(() => applyUpdate(stored, { ...empty, name: 'n'.repeat(300) })).toThrow(
      /whiteboard.name is 300/,
    );
    expect(() => checkQueryLimits({ from: { seconds: 2 ** 60, nanos: 0 } })).toThrow(
      /createdTimeBounds.from.seconds/,
    );
  });
});
