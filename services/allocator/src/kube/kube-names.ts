import { createHash } from 'node:crypto';

/** Labels and annotations of VM pods (reference §3.6 plus ours). */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  partOf: 'app.kubernetes.io/part-of',
  app: 'lzy.ai/app',
  podName: 'lzy.ai/pod-name',
  sessionId: 'lzy.ai/pod-session-id',
  vmId: 'lzy.ai/vm-id',
  /** Hash of the user the VM works for: the anti-affinity key (see vm-pod-spec.ts). */
  tenant: 'lzy.ai/pod-tenant',
  clusterType: 'lzy.ai/cluster-type',
} as const;

/** Node labels of pool node groups (reference §3.6). */
export const NODE_LABEL = {
  pool: 'lzy.ai/node-pool-label',
  zone: 'lzy.ai/node-pool-az',
  state: 'lzy.ai/node-pool-state',
} as const;

/** The exact VM id (label values are lower-cased and may be shortened). */
export const VM_ID_ANNOTATION = 'lzy.ai/vm-id';

/** Selects every VM pod and VM Secret. */
export const VM_SELECTOR = `${LABEL.app}=vm`;

const MAX_NAME = 63;

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * A DNS label (≤ 63 chars, `[-a-z0-9]`, alphanumeric at both ends) made of `prefix` and `id`;
 * an id that does not fit is shortened and suffixed with its hash so names stay unique.
 */
export function dnsLabel(prefix: string, id: string): string {
  const safe = `${prefix}${id}`
    .toLowerCase()
    .replace(/[^-a-z0-9]/g, '-')
    .replace(/^-+|-+$/g, '');
  if (safe.length <= MAX_NAME && safe === `${prefix}${id}`) return safe;
  const hash = shortHash(id, 10);
  return `${safe.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

export function vmPodName(vmId: string): string {
  return dnsLabel('lzy-vm-', vmId);
}

export function vmSecretName(vmId: string): string {
  return dnsLabel('lzy-vm-secret-', vmId);
}

/**
 * The tenant of a session owner: the user id before the first `/` of `<userId>/<workflowName>`
 * (scheduler sessions), the whole owner otherwise (lzy-service's `portal-<executionId>`), hashed
 * so that it is a valid label value and user ids do not show on nodes.
 */
export function tenantOf(sessionOwner: string): string {
  const slash = sessionOwner.indexOf('/');
  return shortHash(slash < 0 ? sessionOwner : sessionOwner.slice(0, slash), 32);
}
