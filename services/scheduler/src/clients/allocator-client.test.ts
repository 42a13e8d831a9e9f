import { describe, expect, it } from 'vitest';
import { allocator, packAny } from '@lzy/proto';
import { allocationOutcomeOf, workerAddressOf } from './allocator-client.ts';

const { VM_ENDPOINT_TYPE_HOST_NAME, VM_ENDPOINT_TYPE_INTERNAL_IP } = allocator.VmEndpointType;

describe('workerAddressOf', () => {
  it('prefers the host name endpoint over an IP', () => {
    const endpoints = [
      { type: VM_ENDPOINT_TYPE_INTERNAL_IP, value: '10.0.0.5:9999' },
      { type: VM_ENDPOINT_TYPE_HOST_NAME, value: '127.0.0.1:4242' },
    ];
    expect(workerAddressOf(endpoints)).toBe('127.0.0.1:4242');
  });

  it('is undefined without endpoints', () => {
    expect(workerAddressOf([])).toBeUndefined();
  });
});

describe('allocationOutcomeOf', () => {
  const base = { id: 'op-1', description: '', createdBy: '', done: true };

  it('takes the VM and its address from AllocateResponse', () => {
    const response = allocator.AllocateResponse.fromPartial({
      vmId: 'vm-s-1',
      endpoints: [{ type: VM_ENDPOINT_TYPE_HOST_NAME, value: '127.0.0.1:4242' }],
    });
    const operation = {
      ...base,
      result: { $case: 'response' as const, value: packAny(allocator.AllocateResponse, response) },
    };
    expect(allocationOutcomeOf(operation)).toEqual({
      ok: true,
      vmId: 'vm-s-1',
      vmAddress: '127.0.0.1:4242',
    });
  });

  it('passes the allocator error message on', () => {
    const operation = {
      ...base,
      result: {
        $case: 'error' as const,
        value: { code: 3, message: 'unknown pool "xl"', details: [] },
      },
    };
    expect(allocationOutcomeOf(operation)).toEqual({
      ok: false,
      code: 'INVALID_ARGUMENT',
      message: 'unknown pool "xl"',
    });
  });
});
