import { lzyWorkflowService } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import { toGraphStatusResponse } from './workflow-service.ts';

const hex = (status: Parameters<typeof toGraphStatusResponse>[0]) =>
  Buffer.from(
    lzyWorkflowService.GraphStatusResponse.encode(toGraphStatusResponse(status)).finish(),
  ).toString('hex');

describe('toGraphStatusResponse', () => {
  it('emits the empty completed member (1a 00)', () => {
    expect(hex({ kind: 'completed' })).toBe('1a00');
  });

  it('emits the empty waiting member (0a 00)', () => {
    expect(hex({ kind: 'waiting' })).toBe('0a00');
  });

  it('emits an empty executing member when nothing is known yet', () => {
    expect(hex({ kind: 'executing', completed: [], executing: [], message: '' })).toBe('1200');
  });
});
