import { describe, expect, it } from 'vitest';
import { counterDeltas, parsePrometheusText, sumBy } from './metrics-text.ts';

// As prom-client serves it (a scheduler's /metrics, shortened).
const PAGE = `# HELP lzy_db_statements_total SQL statements sent to PostgreSQL (BEGIN and COMMIT included), by service
# TYPE lzy_db_statements_total counter
lzy_db_statements_total{service="scheduler"} 49

# HELP lzy_grpc_client_calls_total Outbound RPCs completed, by callee service, method and gRPC status code name
# TYPE lzy_grpc_client_calls_total counter
lzy_grpc_client_calls_total{service="lzy.internal.allocator.v1.AllocatorService",method="Allocate",code="OK"} 1
lzy_grpc_client_calls_total{service="lzy.internal.operations.v1.OperationsService",method="WatchOperation",code="CANCELLED"} 3
lzy_grpc_server_handling_seconds_bucket{le="+Inf",service="lzy.internal.scheduler.v1.SchedulerService",method="Submit"} 2
lzy_grpc_server_handling_seconds_sum{service="lzy.internal.scheduler.v1.SchedulerService",method="Submit"} 0.027830067
`;

describe('parsePrometheusText', () => {
  it('reads every sample of a prom-client page with its labels and value', () => {
    const samples = parsePrometheusText(PAGE);
    expect(samples).toHaveLength(5);
    expect(samples[0]).toEqual({
      name: 'lzy_db_statements_total',
      labels: { service: 'scheduler' },
      value: 49,
    });
    expect(samples[2]).toEqual({
      name: 'lzy_grpc_client_calls_total',
      labels: {
        service: 'lzy.internal.operations.v1.OperationsService',
        method: 'WatchOperation',
        code: 'CANCELLED',
      },
      value: 3,
    });
    expect(samples[3]?.labels.le).toBe('+Inf');
    expect(samples[4]?.value).toBeCloseTo(0.027830067, 9);
  });

  it('reads samples without labels, special values, timestamps and escaped label values', () => {
    const samples = parsePrometheusText(
      [
        'up 1',
        'a_gauge +Inf',
        'b_gauge NaN 1700000000000',
        'c{msg="say \\"hi\\", a\\\\b\\nnext",x="}"} -2.5e3',
      ].join('\n'),
    );
    expect(samples.map((s) => s.value)).toEqual([1, Number.POSITIVE_INFINITY, Number.NaN, -2500]);
    expect(samples[3]?.labels).toEqual({ msg: 'say "hi", a\\b\nnext', x: '}' });
  });

  it('rejects a line that is not a sample, naming it', () => {
    expect(() => parsePrometheusText('ok 1\nbroken{service="x" 3')).toThrow(/line 2/);
    expect(() => parsePrometheusText('no_value')).toThrow(/line 1/);
    expect(() => parsePrometheusText('word abc')).toThrow(/not a sample/);
  });
});

describe('counterDeltas', () => {
  const calls = (method: string, value: number) => ({
    name: 'lzy_grpc_client_calls_total',
    labels: { service: 'S', method, code: 'OK' },
    value,
  });

  it('subtracts by label set, whatever the label order, and drops what did not move', () => {
    const before = [calls('Bind', 10), calls('Unbind', 4), { ...calls('X', 99), name: 'other' }];
    const after = [
      { ...calls('Bind', 25), labels: { code: 'OK', method: 'Bind', service: 'S' } },
      calls('Unbind', 4),
      { ...calls('X', 500), name: 'other' },
    ];
    expect(counterDeltas(before, after, 'lzy_grpc_client_calls_total')).toEqual([
      { ...calls('Bind', 15), labels: { code: 'OK', method: 'Bind', service: 'S' } },
    ]);
  });

  it('counts a label set that appears only after from zero', () => {
    expect(counterDeltas([], [calls('Bind', 3)], 'lzy_grpc_client_calls_total')).toEqual([
      calls('Bind', 3),
    ]);
  });

  it('refuses a counter that went down', () => {
    expect(() =>
      counterDeltas([calls('Bind', 5)], [calls('Bind', 2)], 'lzy_grpc_client_calls_total'),
    ).toThrow(/went down/);
  });
});

describe('sumBy', () => {
  it('sums by a key of the labels, biggest first', () => {
    const samples = parsePrometheusText(
      [
        'c{method="A",code="OK"} 1',
        'c{method="B",code="OK"} 5',
        'c{method="A",code="CANCELLED"} 2',
      ].join('\n'),
    );
    expect([...sumBy(samples, (l) => l.method ?? '')]).toEqual([
      ['B', 5],
      ['A', 3],
    ]);
  });
});
