import type { TaskNeeds } from '@lzy/tasks';
import type { PoolShape } from './ports.ts';

/** Amounts compared with this slack, so 0.1 + 0.2 CPUs fit in 0.3. */
const EPSILON = 1e-9;

/** The whole VM of a pool: what a task without declared needs takes. */
export function wholeVm(pool: PoolShape): TaskNeeds {
  return { cpu: pool.cpu, gpu: pool.gpu, ramGb: pool.ramGb };
}

export const NOTHING: TaskNeeds = { cpu: 0, gpu: 0, ramGb: 0 };

export function addNeeds(a: TaskNeeds, b: TaskNeeds): TaskNeeds {
  return { cpu: a.cpu + b.cpu, gpu: a.gpu + b.gpu, ramGb: a.ramGb + b.ramGb };
}

export function subtractNeeds(a: TaskNeeds, b: TaskNeeds): TaskNeeds {
  return {
    cpu: Math.max(0, a.cpu - b.cpu),
    gpu: Math.max(0, a.gpu - b.gpu),
    ramGb: Math.max(0, a.ramGb - b.ramGb),
  };
}

/** Whether `needs` fit on a VM of `capacity` that already runs tasks taking `used`. */
export function fits(used: TaskNeeds, needs: TaskNeeds, capacity: TaskNeeds): boolean {
  return (
    used.cpu + needs.cpu <= capacity.cpu + EPSILON &&
    used.gpu + needs.gpu <= capacity.gpu + EPSILON &&
    used.ramGb + needs.ramGb <= capacity.ramGb + EPSILON
  );
}

/** How many tasks of `needs` one empty VM of `capacity` runs at once (at least 1). */
export function tasksPerVm(needs: TaskNeeds, capacity: TaskNeeds): number {
  const per = (need: number, has: number) => (need <= EPSILON ? Infinity : Math.floor(has / need));
  const n = Math.min(
    per(needs.cpu, capacity.cpu + EPSILON),
    per(needs.gpu, capacity.gpu + EPSILON),
    per(needs.ramGb, capacity.ramGb + EPSILON),
  );
  return Number.isFinite(n) ? Math.max(1, n) : 64;
}
