import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.ts';

describe('InFlight', () => {
  it('counts entered handlers and resolves whenIdle when the last leaves', async () => {
    const inFlight = new InFlight();
    const leaveA = inFlight.enter();
    const leaveB = inFlight.enter();
    const idle = inFlight.whenIdle(60_000);
    leaveA();
    leaveA(); // leaving twice counts once
    expect(inFlight.count).toBe(1);
    leaveB();
    await expect(idle).resolves.toBe(true);
    expect(inFlight.count).toBe(0);
  });

  it('resolves whenIdle at once when nothing runs', async () => {
    await expect(new InFlight().whenIdle(0)).resolves.toBe(true);
  });
});
