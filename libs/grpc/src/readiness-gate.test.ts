import { describe, expect, it } from 'vitest';
import { Unavailable } from '@lzy/errors';
import { health } from '@lzy/proto';
import { implement } from './handler-types.ts';
import { HealthState } from './health-service.ts';
import { ReadinessGate } from './readiness-gate.ts';

const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;
const HEALTH = 'grpc.health.v1.Health';

describe('ReadinessGate', () => {
  it('reports its services NOT_SERVING until ready, also when attached late', () => {
    const gate = new ReadinessGate({ services: ['a.B'], unavailableMessage: 'starting' });
    const state = new HealthState();
    gate.attach(state);
    expect(state.statusOf('a.B')).toBe(NOT_SERVING);
    gate.markReady();
    expect(state.statusOf('a.B')).toBe(SERVING);
    const late = new HealthState();
    gate.attach(late);
    expect(late.statusOf('a.B')).toBe(SERVING);
  });

  it('takes service names from registrations', () => {
    const registration = implement(health.HealthService, {
      check: () => Promise.resolve({ status: SERVING }),
      watch: 'unimplemented',
    });
    const gate = new ReadinessGate({ services: [registration], unavailableMessage: 'starting' });
    const state = new HealthState();
    gate.attach(state);
    expect(state.statusOf(HEALTH)).toBe(NOT_SERVING);
  });

  it('answers UNAVAILABLE with its message until ready', () => {
    const gate = new ReadinessGate({ services: [], unavailableMessage: 'x is starting; retry' });
    expect(() => gate.assertReady()).toThrow(new Unavailable('x is starting; retry'));
    expect(gate.isReady()).toBe(false);
    gate.markReady();
    expect(gate.isReady()).toBe(true);
    expect(() => gate.assertReady()).not.toThrow();
  });

  it('guards every handler of a registration: UNAVAILABLE until ready, then the handler', async () => {
    const gate = new ReadinessGate({ services: [], unavailableMessage: 'not yet' });
    const guarded = gate.guard(
      implement(health.HealthService, {
        check: () => Promise.resolve({ status: SERVING }),
        watch: 'unimplemented',
      }),
    );
    const check = guarded.handlers.check as () => Promise<unknown>;
    expect(() => check()).toThrow(new Unavailable('not yet'));
    expect(guarded.handlers.watch).toBe('unimplemented');
    gate.markReady();
    await expect(check()).resolves.toEqual({ status: SERVING });
  });
});
