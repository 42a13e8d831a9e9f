import { describe, expect, it } from 'vitest';
import { uniqueName } from './test-names.ts';

describe('uniqueName', () => {
  it('slugs the title and appends a random suffix', () => {
    expect(uniqueName('My Test > does X!', '-', 63)).toMatch(/^my-test-does-x-[0-9a-f]{8}$/);
    expect(uniqueName('s3-blob-store', '_', 63)).toMatch(/^s3_blob_store_[0-9a-f]{8}$/);
    expect(uniqueName('same', '-', 63)).not.toBe(uniqueName('same', '-', 63));
  });

  it('stays within maxLength and starts with a letter or digit', () => {
    const name = uniqueName(`--${'long title '.repeat(20)}`, '-', 63);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9][a-z0-9-]*[0-9a-f]$/);
    expect(uniqueName('!!!', '_', 63)).toMatch(/^t_[0-9a-f]{8}$/);
  });
});
