import { describe, expect, it } from 'vitest';
import { health } from '@lzy/proto';
import { HealthState } from './health-service.ts';

const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;

describe('HealthState', () => {
  it('tracks statuses and tells subscribers which service changed', () => {
    const state = new HealthState();
    const changes: string[] = [];
    state.subscribe((service) => changes.push(service));
    state.setStatus('', 'SERVING');
    state.setStatus('a.B', 'SERVING');
    state.setStatus('a.B', 'SERVING'); // no change, no notification
    state.setStatus('a.B', 'NOT_SERVING');
    expect(changes).toEqual(['', 'a.B', 'a.B']);
    expect(state.statusOf('a.B')).toBe(NOT_SERVING);
    expect(state.statusOf('unknown')).toBeUndefined();
    expect(state.isServing()).toBe(true);
  });

  it('turns everything NOT_SERVING for good on shutdown', () => {
    const state = new HealthState();
    state.setStatus('', 'SERVING');
    state.setStatus('a.B', 'SERVING');
    state.shutdown();
    state.setStatus('a.B', 'SERVING');
    expect([state.statusOf(''), state.statusOf('a.B')]).toEqual([NOT_SERVING, NOT_SERVING]);
    expect(state.isServing()).toBe(false);
    expect(SERVING).not.toBe(NOT_SERVING);
  });
});
