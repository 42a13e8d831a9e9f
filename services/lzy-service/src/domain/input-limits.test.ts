import { InvalidArgument } from '@lzy/errors';
import type { lzyWorkflow } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  checkGraphLimits,
  checkId,
  checkSlotPath,
  checkWorkflowName,
} from './input-limits.ts';

function op(overrides: Partial<lzyWorkflow.Operation> = {}): lzyWorkflow.Operation {
  return {
    name: 'f',
    description: '',
    command: 'true',
    inputSlots: [],
    outputSlots: [{ path: '/c/f.return_0', storageUri: 's3://b/x' }],
    dockerImage: '',
    env: undefined,
    poolSpecName: 's',
    ...overrides,
  };
}
const graphOf = (operations: lzyWorkflow.Operation[]): lzyWorkflow.Graph => ({
  name: '',
  parentGraphId: '',
  zone: '',
  operations,
  dataDescriptions: [],
});

describe('input limits', () => {
  it("accepts pylzy's workflow names and refuses empty, long or other characters", () => {
    expect(() => checkWorkflowName('my_wf-1')).not.toThrow();
    expect(() => checkWorkflowName('')).toThrow(/workflowName is empty/);
    expect(() => checkWorkflowName('   ')).toThrow(InvalidArgument);
    expect(() => checkWorkflowName('a'.repeat(3000))).toThrow(/3000 characters long, over the 256/);
    expect(() => checkWorkflowName('a b')).toThrow(/letters, digits, _ and -/);
    expect(() => checkWorkflowName('../x')).toThrow(InvalidArgument);
  });

  it('refuses ids that are empty, huge or not id characters', () => {
    expect(() => checkId('4d0c1bd8-2f7e-4d1c-9d59-0a3f1c1f0f6e', 'executionId')).not.toThrow();
    expect(() => checkId('', 'executionId')).toThrow('executionId is empty');
    expect(() => checkId('x'.repeat(129), 'graphId')).toThrow(/graphId is 129/);
    expect(() => checkId('a/b', 'graphId')).toThrow(/is not an id/);
  });

  it('keeps slot paths under the mount', () => {
    expect(() => checkSlotPath('/2f1c/f.return_0', 'p')).not.toThrow();
    for (const bad of ['relative', '/', '/a/', '/a//b', '/a/../../etc/passwd', '/./a', '/a/..']) {
      expect(() => checkSlotPath(bad, 'p')).toThrow(InvalidArgument);
    }
  });

  it('refuses a graph over the operation count or with an oversized command, naming the field', () => {
    const many = graphOf(Array.from({ length: LIMITS.graphOperations + 1 }, () => op()));
    expect(() => checkGraphLimits(many)).toThrow(/graph.operations has 100001 entries/);
    const big = graphOf([op(), op({ command: 'x'.repeat(LIMITS.commandBytes + 1) })]);
    expect(() => checkGraphLimits(big)).toThrow(/graph.operations\[1\].command is 131072 bytes/);
    const escape = graphOf([op({ inputSlots: [{ path: '/c/../../x', storageUri: 's3://b/y' }] })]);
    expect(() => checkGraphLimits(escape)).toThrow(/inputSlots\[0\].path/);
    expect(() => checkGraphLimits(graphOf([op()]))).not.toThrow();
  });
});
