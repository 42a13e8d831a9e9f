import { describe, expect, it } from 'vitest';
import { ProgressPrinter, progressLine } from './suite-console.ts';

const line = (record: object) => `${JSON.stringify(record)}\n`;

describe('progressLine', () => {
  it('turns workflow events of lzy-service into short lines', () => {
    expect(
      progressLine({
        level: 30,
        service: 'lzy-service',
        msg: 'execution started',
        workflowName: 'fan-out',
        executionId: '7bf248e5-47cf-480c-bdca-0f77f69a732b',
      }),
    ).toBe('workflow fan-out: execution 7bf248e5 started');
    expect(
      progressLine({
        level: 30,
        service: 'lzy-service',
        msg: 'graph completed',
        graphId: 'c4500ebf-fecc',
        durationMs: 2345,
      }),
    ).toBe('  graph c4500ebf: completed in 2.3 s');
    expect(
      progressLine({
        level: 30,
        service: 'lzy-service',
        msg: 'graph failed',
        graphId: 'abcdef012',
        description: 'Task square failed: exit code 1\nTraceback ...',
      }),
    ).toBe('  graph abcdef01: failed: Task square failed: exit code 1');
  });

  it('shows warnings and errors with their cause and skips other info lines', () => {
    expect(
      progressLine({ level: 40, service: 'allocator', msg: 'vm lost', err: { message: 'gone' } }),
    ).toBe('warn  allocator: vm lost: gone');
    expect(progressLine({ level: 50, service: 'scheduler', msg: 'task chain failed' })).toBe(
      'error scheduler: task chain failed',
    );
    expect(progressLine({ level: 30, service: 'scheduler', msg: 'vm freed' })).toBeUndefined();
    // Our loggers write level labels, not numbers.
    expect(progressLine({ level: 'info', service: 'scheduler', msg: 'vm freed' })).toBeUndefined();
    expect(progressLine({ level: 'warn', service: 'portal', msg: 'slow' })).toBe(
      'warn  portal: slow',
    );
  });
});

describe('ProgressPrinter', () => {
  it('shows a repeated warning three times, then one note pointing at the log file', () => {
    const out: string[] = [];
    const printer = new ProgressPrinter({ write: (l) => out.push(l), logPath: '/h/logs/lzy.log' });
    for (let i = 0; i < 10; i++)
      printer.write(line({ level: 'warn', service: 'scheduler', msg: 'pool full' }));
    printer.write('not json\n');
    printer.write(
      line({ level: 30, service: 'lzy-service', msg: 'execution finished', executionId: 'e1' }),
    );
    expect(out).toEqual([
      'warn  scheduler: pool full',
      'warn  scheduler: pool full',
      'warn  scheduler: pool full',
      'warn  scheduler: more "pool full" in /h/logs/lzy.log',
      'execution e1 finished',
    ]);
  });
});
