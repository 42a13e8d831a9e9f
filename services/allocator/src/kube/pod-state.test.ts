import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { podState } from './pod-state.ts';

const pod = (status: V1Pod['status'], nodeName?: string): V1Pod => ({
  metadata: { name: 'lzy-vm-x' },
  spec: { containers: [], ...(nodeName === undefined ? {} : { nodeName }) },
  status,
});

describe('podState', () => {
  it("reports kube-scheduler's message for an unschedulable pod", () => {
    const message = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.";
    const state = podState(
      pod({
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
      }),
    );
    expect(state).toEqual({ kind: 'unschedulable', message });
  });

  it('names the eviction of a failed pod', () => {
    const state = podState(
      pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on memory.' }, 'n1'),
    );
    expect(state).toEqual({
      kind: 'ended',
      reason: 'pod lzy-vm-x failed: Evicted: The node was low on memory.',
    });
  });

  it('names the exit code of a container of a failed pod', () => {
    const state = podState(
      pod(
        {
          phase: 'Failed',
          containerStatuses: [
            {
              name: 'worker',
              image: 'i',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
            },
          ],
        },
        'n1',
      ),
    );
    expect(state).toEqual({
      kind: 'ended',
      reason: 'pod lzy-vm-x failed: container worker exited with code 137 (OOMKilled)',
    });
  });

  it('ends a pod whose image name is invalid but waits out a pull back-off', () => {
    const waiting = (reason: string) =>
      podState(
        pod(
          {
            phase: 'Pending',
            containerStatuses: [
              {
                name: 'worker',
                image: 'i',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { waiting: { reason } },
              },
            ],
          },
          'n1',
        ),
      );
    expect(waiting('InvalidImageName').kind).toBe('ended');
    expect(waiting('ImagePullBackOff')).toEqual({ kind: 'scheduled', nodeName: 'n1' });
  });

  it('is pending before the scheduler decided', () => {
    expect(podState(pod({ phase: 'Pending' }))).toEqual({ kind: 'pending' });
  });
});
