import { describe, expect, it } from 'vitest';
import { packAny, typeUrlOf, unpackAny } from './any.ts';
import { ExecuteResponse } from './gen/lzy/internal/worker/v1/worker.ts';
import { FinishWorkflowResponse } from './gen/ai/lzy/v1/workflow/workflow-service.ts';

describe('packAny / unpackAny', () => {
  it('round-trips a message under its full protobuf name', () => {
    const any = packAny(ExecuteResponse, { rc: 97, description: 'conda failed' });
    expect(any.typeUrl).toBe('type.googleapis.com/lzy.internal.worker.v1.ExecuteResponse');
    expect(unpackAny(ExecuteResponse, any)).toEqual({ rc: 97, description: 'conda failed' });
  });

  it('matches on the name after the last slash, like protobuf runtimes', () => {
    const any = {
      typeUrl: 'example.com/x/lzy.internal.worker.v1.ExecuteResponse',
      value: Buffer.alloc(0),
    };
    expect(unpackAny(ExecuteResponse, any)).toEqual({ rc: 0, description: '' });
  });

  it('returns undefined for an Any holding another type', () => {
    expect(unpackAny(ExecuteResponse, packAny(FinishWorkflowResponse, {}))).toBeUndefined();
    expect(typeUrlOf(FinishWorkflowResponse)).toBe(
      'type.googleapis.com/ai.lzy.v1.workflow.FinishWorkflowResponse',
    );
  });
});
