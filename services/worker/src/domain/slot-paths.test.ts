import { describe, expect, it } from 'vitest';
import { InvalidArgument } from '@lzy/errors';
import { slotFilePath, slotServerAddress, workerSlotUri } from './slot-paths.ts';

describe('slotFilePath', () => {
  it('maps /<callId>/<name> under the task directory', () => {
    expect(slotFilePath('/m/t1', '/c1/return_0')).toBe('/m/t1/c1/return_0');
  });

  it.each(['', '/', '/c/../../etc/passwd', '/c//x', '/./x'])('rejects %j', (name) => {
    expect(() => slotFilePath('/m/t1', name)).toThrow(InvalidArgument);
  });
});

describe('slot URIs', () => {
  it('builds a worker slot URI without doubling the name slash and parses its address back', () => {
    const uri = workerSlotUri('127.0.0.1:9000', 't1', '/c1/a');
    expect(uri).toBe('slot://127.0.0.1:9000/t1/c1/a');
    expect(slotServerAddress(uri)).toBe('127.0.0.1:9000');
  });

  it('rejects a URI that is not slot://host:port/…', () => {
    expect(() => slotServerAddress('s3://b/k')).toThrow(InvalidArgument);
  });
});
