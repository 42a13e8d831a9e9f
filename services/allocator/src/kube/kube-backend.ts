import type { V1Node, V1ObjectMeta, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { Logger } from '@lzy/logging';
import type { VmBackend, VmFailure, VmLaunch, VmRef } from '../domain/ports.ts';
import type { ClusterType, VmSpec } from '../domain/vm.ts';
import { ClusterWatch } from './cluster-watch.ts';
import { ignoring, kubeErrorMessage, kubeStatusOf } from './kube-client.ts';
import type { KubeCluster } from './kube-client.ts';
import { VM_ID_ANNOTATION, VM_SELECTOR, vmPodName, vmSecretName } from './kube-names.ts';
import { podState } from './pod-state.ts';
import { vmPod, vmSecret } from './vm-pod-spec.ts';
import { checkVmPodPolicy } from './vm-pod-policy.ts';
import type { VmPodPolicy } from './vm-pod-policy.ts';
import type { VmPodSettings } from './vm-pod-spec.ts';

export interface KubeBackendDeps {
  readonly clusters: Readonly<Record<ClusterType, KubeCluster>>;
  readonly namespace: string;
  /** Default image per cluster. */
  readonly images: Readonly<Record<ClusterType, string>>;
  readonly hostNetwork: boolean;
  readonly requestPercent: number;
  /** One VM per node and no other tenant beside it (LZY); false: VMs share nodes. */
  readonly exclusiveNodes: boolean;
  /** What Allocate may put into a VM pod; checked before anything is stored. */
  readonly podPolicy: VmPodPolicy;
  readonly heartbeatPeriodMs: number;
  /** Pod termination grace; kill() waits up to this + KILL_SLACK_MS for the pod to go. */
  readonly killGraceMs: number;
  readonly unschedulableDeadlineMs: number;
  readonly log: Logger;
}

const CLUSTER_TYPES: readonly ClusterType[] = ['WORKER', 'SYSTEM'];
const KILL_SLACK_MS = 10_000;

/**
 * VMs as pods (reference §3.6): portals in the SYSTEM cluster, workers in the WORKER cluster,
 * each with a Secret holding its credentials (owned by the pod, so it goes with it). Watches
 * pods and pool nodes (ClusterWatch) and pushes failures: a pod that failed, was evicted,
 * completed, was deleted by someone else, sits on a deleted node, or stayed unschedulable past
 * the deadline (with kube-scheduler's message). Pods outlive the allocator; recover() adopts them.
 */
export class KubeBackend implements VmBackend {
  readonly vmsOutliveAllocator = true;
  readonly #deps: KubeBackendDeps;
  readonly #log: Logger;
  readonly #watches: Record<ClusterType, ClusterWatch>;
  readonly #listeners = new Set<(vmId: string, failure: VmFailure) => void>();
  /** VMs being (or already) deleted by us: their pod's deletion is expected. */
  readonly #killed = new Set<string>();
  readonly #gone = new Map<string, Set<() => void>>();
  readonly #reported = new Set<string>();
  /** `<cluster>/<node>` of deleted nodes: no kubelet there confirms a graceful pod deletion. */
  readonly #deletedNodes = new Set<string>();
  readonly #unschedulable = new Map<string, { timer: NodeJS.Timeout; message: string }>();
  #watching: Promise<void> | undefined;

  constructor(deps: KubeBackendDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'kube-backend' });
    const watch = (type: ClusterType) =>
      new ClusterWatch({
        cluster: deps.clusters[type],
        namespace: deps.namespace,
        log: this.#log.child({ cluster: type }),
        handlers: {
          podChanged: (pod) => this.#podChanged(pod),
          podDeleted: (pod) => this.#podDeleted(pod),
          nodeDeleted: (node) => this.#nodeDeleted(type, node),
        },
      });
    this.#watches = { WORKER: watch('WORKER'), SYSTEM: watch('SYSTEM') };
  }

  /** Any spec goes: the API server validates the pod (its message fails the allocation). */
  check(spec: VmSpec, _clusterType: ClusterType): void {
    checkVmPodPolicy(spec, this.#deps.podPolicy);
  }

  #settings(clusterType: ClusterType): VmPodSettings {
    const { namespace, images, hostNetwork, requestPercent, heartbeatPeriodMs, exclusiveNodes } =
      this.#deps;
    return {
      namespace,
      defaultImage: images[clusterType],
      hostNetwork,
      requestPercent,
      exclusiveNodes,
      heartbeatPeriodMs,
      terminationGraceSeconds: Math.ceil(this.#deps.killGraceMs / 1000),
    };
  }

  async start(launch: VmLaunch): Promise<{ pid: number | undefined }> {
    const { core } = this.#deps.clusters[launch.clusterType];
    const settings = this.#settings(launch.clusterType);
    const { namespace } = settings;
    try {
      const secret = await this.#putSecret(launch.clusterType, vmSecret(launch, settings));
      let pod: V1Pod;
      try {
        pod = await core.createNamespacedPod({ namespace, body: vmPod(launch, settings) });
      } catch (err) {
        if (kubeStatusOf(err) !== 409) throw err;
        pod = await core.readNamespacedPod({ name: vmPodName(launch.id), namespace });
      }
      // The garbage collector deletes the Secret with its pod, whoever deletes the pod.
      const owner = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '' };
      const ownerReferences = [{ ...owner, uid: pod.metadata?.uid ?? '' }];
      const metadata: V1ObjectMeta = { ...secret.metadata, ownerReferences };
      const name = metadata.name ?? '';
      await core.replaceNamespacedSecret({ name, namespace, body: { ...secret, metadata } });
      return { pid: undefined };
    } catch (err) {
      throw new Error(`Kubernetes refused the VM pod: ${kubeErrorMessage(err)}`, { cause: err });
    }
  }

  async #putSecret(clusterType: ClusterType, secret: V1Secret): Promise<V1Secret> {
    const { core } = this.#deps.clusters[clusterType];
    const { namespace } = this.#deps;
    try {
      return await core.createNamespacedSecret({ namespace, body: secret });
    } catch (err) {
      if (kubeStatusOf(err) !== 409) throw err;
      const name = secret.metadata?.name ?? '';
      const current = await core.readNamespacedSecret({ name, namespace });
      const body = { ...secret, metadata: { ...secret.metadata, ...current.metadata } };
      return core.replaceNamespacedSecret({ name, namespace, body });
    }
  }

  async kill(vm: VmRef): Promise<void> {
    const { core } = this.#deps.clusters[vm.clusterType];
    const { namespace, killGraceMs } = this.#deps;
    this.#killed.add(vm.id);
    this.#clearUnschedulable(vm.id);
    const name = vmPodName(vm.id);
    const gone = new Promise<void>((resolve) => {
      const waiters = this.#gone.get(vm.id) ?? new Set();
      waiters.add(resolve);
      this.#gone.set(vm.id, waiters);
    });
    const pod = this.#watches[vm.clusterType].pods().find((p) => vmIdOf(p) === vm.id);
    const orphaned = this.#deletedNodes.has(`${vm.clusterType}/${pod?.spec?.nodeName}`);
    const gracePeriodSeconds = orphaned ? 0 : Math.ceil(killGraceMs / 1000);
    await ignoring([404], () => core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds }));
    await ignoring([404], () =>
      core.deleteNamespacedSecret({ name: vmSecretName(vm.id), namespace }),
    );
    // Nothing to wait for: not seen yet, or on a deleted node (no kubelet confirms; finalizers
    // may keep the object until pod GC or an operator removes it).
    if (orphaned || !this.#watches[vm.clusterType].pods().some((p) => vmIdOf(p) === vm.id)) {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, killGraceMs + KILL_SLACK_MS);
    });
    await Promise.race([gone, timeout]);
    clearTimeout(timer);
  }

  onFailure(listener: (vmId: string, failure: VmFailure) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async recover(live: readonly VmRef[]): Promise<string[]> {
    const liveTypes = new Map(live.map((vm) => [vm.id, vm.clusterType]));
    const present = new Set<string>();
    for (const clusterType of CLUSTER_TYPES) {
      for (const id of await this.#deleteOrphans(clusterType, liveTypes)) present.add(id);
    }
    this.#watching ??= Promise.all(CLUSTER_TYPES.map((t) => this.#watches[t].start())).then(
      () => undefined,
    );
    await this.#watching;
    return live.filter((vm) => !present.has(vm.id)).map((vm) => vm.id);
  }

  /**
   * Deletes the VM pods and Secrets of one cluster that no live VM of that cluster owns (by
   * their own names: a pod need not be named as we name them). @returns ids of VMs with a pod.
   */
  async #deleteOrphans(
    clusterType: ClusterType,
    liveTypes: ReadonlyMap<string, ClusterType>,
  ): Promise<string[]> {
    const { core } = this.#deps.clusters[clusterType];
    const { namespace } = this.#deps;
    const isLive = (o: { metadata?: V1ObjectMeta }) => {
      const id = vmIdOf(o);
      return id !== undefined && liveTypes.get(id) === clusterType;
    };
    const pods = (await core.listNamespacedPod({ namespace, labelSelector: VM_SELECTOR })).items;
    const secrets = (await core.listNamespacedSecret({ namespace, labelSelector: VM_SELECTOR }))
      .items;
    const orphanPods = pods.filter((p) => !isLive(p)).map((p) => p.metadata?.name ?? '');
    const orphanSecrets = secrets.filter((s) => !isLive(s)).map((s) => s.metadata?.name ?? '');
    if (orphanPods.length + orphanSecrets.length > 0) {
      this.#log.warn({ clusterType, orphanPods, orphanSecrets }, 'deleting orphaned VM objects');
    }
    const gracePeriodSeconds = Math.ceil(this.#deps.killGraceMs / 1000);
    await Promise.all([
      ...orphanPods.map((name) =>
        ignoring([404], () => core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds })),
      ),
      ...orphanSecrets.map((name) =>
        ignoring([404], () => core.deleteNamespacedSecret({ name, namespace })),
      ),
    ]);
    const ids = pods.map(vmIdOf).filter((id): id is string => id !== undefined);
    for (const id of ids) if (liveTypes.get(id) !== clusterType) this.#killed.add(id);
    return ids.filter((id) => liveTypes.get(id) === clusterType);
  }

  running(): string[] {
    return CLUSTER_TYPES.flatMap((t) => this.#watches[t].pods())
      .map(vmIdOf)
      .filter((id): id is string => id !== undefined && !this.#killed.has(id));
  }

  async stop(): Promise<void> {
    for (const id of [...this.#unschedulable.keys()]) this.#clearUnschedulable(id);
    await Promise.all(CLUSTER_TYPES.map((t) => this.#watches[t].stop()));
  }

  #podChanged(pod: V1Pod): void {
    const vmId = vmIdOf(pod);
    if (vmId === undefined || this.#killed.has(vmId) || this.#reported.has(vmId)) return;
    const state = podState(pod);
    switch (state.kind) {
      case 'ended':
        this.#fail(vmId, { reason: state.reason });
        return;
      case 'unschedulable':
        this.#armUnschedulable(vmId, pod, state.message);
        return;
      case 'scheduled':
      case 'pending':
        this.#clearUnschedulable(vmId);
        return;
    }
  }

  #podDeleted(pod: V1Pod): void {
    const vmId = vmIdOf(pod);
    if (vmId === undefined) return;
    this.#clearUnschedulable(vmId);
    const expected = this.#killed.delete(vmId);
    for (const resolve of this.#gone.get(vmId) ?? []) resolve();
    this.#gone.delete(vmId);
    if (!expected) this.#fail(vmId, { reason: `pod ${pod.metadata?.name} was deleted` });
    this.#reported.delete(vmId);
  }

  #nodeDeleted(clusterType: ClusterType, node: V1Node): void {
    const nodeName = node.metadata?.name;
    this.#deletedNodes.add(`${clusterType}/${nodeName}`);
    for (const pod of this.#watches[clusterType].pods()) {
      const vmId = vmIdOf(pod);
      if (vmId === undefined || pod.spec?.nodeName !== nodeName || this.#killed.has(vmId)) continue;
      this.#fail(vmId, { reason: `node ${nodeName} under pod ${pod.metadata?.name} was deleted` });
    }
  }

  /** Fails the VM when its pod is still unschedulable `unschedulableDeadlineMs` after creation. */
  #armUnschedulable(vmId: string, pod: V1Pod, message: string): void {
    const armed = this.#unschedulable.get(vmId);
    if (armed !== undefined) {
      armed.message = message; // the latest explanation of the scheduler
      return;
    }
    const deadlineMs = this.#deps.unschedulableDeadlineMs;
    const createdMs = new Date(pod.metadata?.creationTimestamp ?? Date.now()).getTime();
    const delayMs = Math.max(0, createdMs + deadlineMs - Date.now());
    const timer = setTimeout(() => {
      const latest = this.#unschedulable.get(vmId)?.message ?? message;
      this.#unschedulable.delete(vmId);
      const reason = `pod ${pod.metadata?.name} could not be scheduled within ${deadlineMs} ms: ${latest}`;
      this.#fail(vmId, { reason, code: 'RESOURCE_EXHAUSTED' });
    }, delayMs);
    this.#unschedulable.set(vmId, { timer, message });
  }

  #clearUnschedulable(vmId: string): void {
    clearTimeout(this.#unschedulable.get(vmId)?.timer);
    this.#unschedulable.delete(vmId);
  }

  #fail(vmId: string, failure: VmFailure): void {
    if (this.#reported.has(vmId)) return;
    this.#reported.add(vmId);
    this.#clearUnschedulable(vmId);
    this.#log.warn({ vmId, reason: failure.reason }, 'vm pod failed');
    for (const listener of this.#listeners) listener(vmId, failure);
  }
}

function vmIdOf(object: { metadata?: V1ObjectMeta }): string | undefined {
  return object.metadata?.annotations?.[VM_ID_ANNOTATION];
}
