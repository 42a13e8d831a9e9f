import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

/** What the allocator makes of a VM pod's status. */
export type PodState =
  /** Created, no scheduling decision yet (or waiting for a retry of the scheduler). */
  | { readonly kind: 'pending' }
  /** kube-scheduler found no node; `message` is its explanation. */
  | { readonly kind: 'unschedulable'; readonly message: string }
  /** Bound to a node (starting or running). */
  | { readonly kind: 'scheduled'; readonly nodeName: string }
  /** The VM is over: `reason` says why (phase Failed/Succeeded, eviction, a bad image). */
  | { readonly kind: 'ended'; readonly reason: string };

/** Waiting reasons that never resolve by themselves (other ones, like ImagePullBackOff, may). */
const HOPELESS_WAITING = new Set(['InvalidImageName', 'ErrImageNeverPull']);

/** Classifies a VM pod (pure: only the pod object). */
export function podState(pod: V1Pod): PodState {
  const status = pod.status;
  const name = pod.metadata?.name ?? '?';
  if (status?.phase === 'Failed') {
    const detail = [status.reason, status.message].filter(Boolean).join(': ');
    const terminated = describeTerminated(status.containerStatuses ?? []);
    return { kind: 'ended', reason: `pod ${name} failed: ${detail || terminated || 'no reason'}` };
  }
  if (status?.phase === 'Succeeded') {
    return { kind: 'ended', reason: `pod ${name} completed: every container exited` };
  }
  for (const c of [
    ...(status?.initContainerStatuses ?? []),
    ...(status?.containerStatuses ?? []),
  ]) {
    const waiting = c.state?.waiting;
    if (waiting?.reason !== undefined && HOPELESS_WAITING.has(waiting.reason)) {
      const detail = waiting.message === undefined ? '' : `: ${waiting.message}`;
      return { kind: 'ended', reason: `pod ${name} cannot start: ${waiting.reason}${detail}` };
    }
  }
  const nodeName = pod.spec?.nodeName;
  if (nodeName !== undefined && nodeName !== '') return { kind: 'scheduled', nodeName };
  const scheduled = status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { kind: 'unschedulable', message: scheduled.message ?? 'no node fits' };
  }
  return { kind: 'pending' };
}

function describeTerminated(statuses: readonly V1ContainerStatus[]): string {
  return statuses
    .flatMap((c) => {
      const t = c.state?.terminated;
      if (t === undefined) return [];
      const why = t.reason === undefined ? '' : ` (${t.reason})`;
      return [`container ${c.name} exited with code ${t.exitCode}${why}`];
    })
    .join(', ');
}
