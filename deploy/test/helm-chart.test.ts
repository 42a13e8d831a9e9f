import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8S_VERSION, kubeTools } from '@lzy/testing';
import { CHART_DIR, run, runOk } from './tools.ts';

// Chart checks that need no cluster: lint with values exercising every toggle, the schema and
// the template's own rules rejecting bad values with a message naming the value, and what the
// rendered objects say. The cluster checks are in helm-install.test.ts.

const CI_VALUES = ['minimal', 'everything', 'lean', 'rbac-only'].map((name) =>
  join(CHART_DIR, 'ci', `${name}-values.yaml`),
);
const MINIMAL = join(CHART_DIR, 'ci', 'minimal-values.yaml');
const EVERYTHING = join(CHART_DIR, 'ci', 'everything-values.yaml');
const KUBE_VERSION = ['--kube-version', K8S_VERSION];

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

let helm: string;
let scratch: string;

beforeAll(async () => {
  helm = kubeTools().helm;
  scratch = await mkdtemp(join(tmpdir(), 'lzy-helm-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function valuesFile(values: unknown): Promise<string> {
  const path = join(scratch, `values-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(values));
  return path;
}

async function template(...valueFiles: string[]): Promise<K8sObject[]> {
  const out = await runOk(helm, [
    'template',
    'lzy',
    CHART_DIR,
    '--namespace',
    'lzy',
    ...KUBE_VERSION,
    ...valueFiles.flatMap((f) => ['-f', f]),
  ]);
  return (loadAll(out) as Array<K8sObject | null>).filter((o): o is K8sObject => o !== null);
}

/** helm template with values that must be refused; returns helm's error output. */
async function rejection(values: unknown): Promise<string> {
  const result = await run(helm, [
    'template',
    'lzy',
    CHART_DIR,
    ...KUBE_VERSION,
    '-f',
    MINIMAL,
    '-f',
    await valuesFile(values),
  ]);
  expect(result.code, result.stdout).not.toBe(0);
  return result.stderr;
}

type Container = {
  env: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef: { name: string; key: string } };
  }>;
  readinessProbe: { grpc: { port: number; service?: string } };
  livenessProbe: { grpc: { port: number; service?: string } };
  image: string;
};

function podSpecOf(objects: K8sObject[], name: string) {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  if (deployment === undefined) throw new Error(`no Deployment ${name}`);
  return (
    deployment.spec as {
      template: {
        spec: { containers: Container[]; nodeSelector?: object; serviceAccountName: string };
      };
    }
  ).template.spec;
}

describe('helm lint --strict', () => {
  it.each(CI_VALUES)('passes with %s', async (file) => {
    const out = await runOk(helm, ['lint', '--strict', CHART_DIR, ...KUBE_VERSION, '-f', file]);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });
});

describe('values.schema.json and the chart rules', () => {
  it('refuses mode full without a database host, saying what it is for', async () => {
    const result = await run(helm, ['template', 'lzy', CHART_DIR, ...KUBE_VERSION]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('database.host is required in mode full');
  });

  it('refuses a pool with an unknown cluster type, naming the field and the allowed values', async () => {
    const stderr = await rejection({
      allocator: { pools: [{ label: 's', cluster_type: 'GPU', zones: ['a'] }] },
    });
    expect(stderr).toContain('/allocator/pools/0/cluster_type');
    expect(stderr).toMatch(/'WORKER', 'SYSTEM'/);
  });

  it('refuses a second replica of a service that resumes work at start', async () => {
    const stderr = await rejection({ services: { scheduler: { replicas: 2 } } });
    expect(stderr).toContain('/services/scheduler/replicas');
    expect(stderr).toMatch(/maximum/);
  });

  it('refuses an env entry the chart sets itself', async () => {
    const stderr = await rejection({ services: { iam: { env: { LZY_DB_URL: 'postgres://x' } } } });
    expect(stderr).toContain("invalid propertyName 'LZY_DB_URL'");
  });

  it('refuses duplicate pool labels, naming the label', async () => {
    const pool = { label: 's', cluster_type: 'WORKER', cpu_count: 2, ram_gb: 2, zones: ['a'] };
    const portals = { ...pool, label: 'portals', cluster_type: 'SYSTEM' };
    const stderr = await rejection({ allocator: { pools: [pool, pool, portals] } });
    expect(stderr).toContain('pool label "s" appears twice');
  });

  it('refuses a portal pool that is not among the pools', async () => {
    const stderr = await rejection({
      services: { 'lzy-service': { env: { LZY_PORTAL_POOL: 'nope' } } },
    });
    expect(stderr).toContain('LZY_PORTAL_POOL is "nope" but allocator.pools has no pool');
  });

  it('refuses an S3 endpoint that is not an http(s) URL', async () => {
    const stderr = await rejection({ s3: { endpoint: 'storage.example.com' } });
    expect(stderr).toContain('/s3/endpoint');
  });
});

describe('rendered objects', () => {
  it('runs nine services with gRPC probes on their own health entry, on system nodes', async () => {
    const objects = await template(MINIMAL);
    const deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
    expect(deployments.sort()).toEqual(
      [
        'allocator',
        'channel-manager',
        'graph-executor',
        'iam',
        'lzy-service',
        'scheduler',
        'site',
        'storage',
        'whiteboard',
      ].map((s) => `lzy-${s}`),
    );
    const iam = podSpecOf(objects, 'lzy-iam');
    expect(iam.nodeSelector).toEqual({ 'lzy.ai/node-group': 'system' });
    const [container] = iam.containers;
    expect(container?.readinessProbe.grpc).toEqual({
      port: 8443,
      service: 'ai.lzy.v1.iam.LzyAuthenticateService',
    });
    expect(container?.livenessProbe.grpc).toEqual({ port: 8443 });
    expect(container?.image).toBe('lzy-iam:0.1.0');
    for (const kind of ['Service', 'PodDisruptionBudget', 'ConfigMap']) {
      expect(objects.filter((o) => o.kind === kind).length, kind).toBeGreaterThanOrEqual(9);
    }
  });

  it('builds each database URL from its own secret key and database name', async () => {
    const objects = await template(MINIMAL);
    const env = podSpecOf(objects, 'lzy-lzy-service').containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'LZY_DB_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'lzy-db',
      key: 'lzy-service-password',
    });
    expect(env.find((e) => e.name === 'LZY_DB_URL')?.value).toBe(
      'postgres://lzy:$(LZY_DB_PASSWORD)@postgres.example.internal:5432/lzy_lzy_service?sslmode=require',
    );
    const urls = await template(EVERYTHING);
    const iamEnv = podSpecOf(urls, 'lzy-all-iam').containers[0]?.env ?? [];
    expect(iamEnv.find((e) => e.name === 'LZY_DB_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'lzy-db-urls',
      key: 'iam-url',
    });
  });

  it('configures the allocator for the Kubernetes backend and both clusters', async () => {
    const objects = await template(EVERYTHING);
    const config = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === 'lzy-all-allocator',
    );
    expect(config?.data).toMatchObject({
      LZY_ALLOCATOR_BACKEND: 'kubernetes',
      LZY_ALLOCATOR_KUBE_NAMESPACE: 'lzy-vms',
      LZY_ALLOCATOR_KUBECONFIG_WORKER: '/etc/lzy/kube/worker/config',
      LZY_ALLOCATOR_KUBECONFIG_SYSTEM: '/etc/lzy/kube/system/config',
      LZY_ALLOCATOR_ADVERTISED_ADDRESS: '10.0.0.10:8132',
      LZY_IAM_ADDRESS: '10.0.0.11:8443',
      LZY_ALLOCATOR_WORKER_IMAGE: 'registry.example.com/lzy/custom-worker:7',
      LZY_ALLOCATOR_HOST_NETWORK: 'false',
    });
    const pools = JSON.parse(config?.data?.['LZY_ALLOCATOR_POOLS'] ?? '[]') as Array<{
      label: string;
    }>;
    expect(pools.map((p) => p.label)).toEqual(['s', 'gpu', 'portal-pool']);
    const roles = objects.filter((o) => o.kind === 'Role');
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['lzy-vms']);
  });

  it('renders only the allocator RBAC and its token in mode rbacOnly', async () => {
    const objects = await template(join(CHART_DIR, 'ci', 'rbac-only-values.yaml'));
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Secret',
      'ServiceAccount',
    ]);
  });
});
