import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupStack, K8S_VERSION, useKubernetes } from '@lzy/testing';
import type { KubeCluster, TestKubernetes } from '@lzy/testing';
import { CHART_DIR, DEPLOY_DIR, run, runOk, uniqueName } from './tools.ts';

// The chart against the real test control plane (kube-apiserver + KWOK nodes): server-side
// schema validation of every rendered object, then a real install whose pods kube-scheduler
// binds to the `lzy.ai/node-group=system` nodes, and the rbacOnly install in the worker cluster.
// Images need not exist: KWOK plays the kubelet and pulls nothing.

const SERVICES = [
  'iam',
  'storage',
  'channel-manager',
  'allocator',
  'scheduler',
  'graph-executor',
  'whiteboard',
  'lzy-service',
  'site',
];

let kube: TestKubernetes;
let scratch: string;
const stack = new CleanupStack();

beforeAll(async () => {
  kube = useKubernetes();
  scratch = await mkdtemp(join(tmpdir(), 'lzy-helm-install-'));
  stack.defer(() => rm(scratch, { recursive: true, force: true }));
});
afterAll(() => stack.close());

function kubectl(cluster: KubeCluster, args: readonly string[], input?: string): Promise<string> {
  return runOk(
    kube.tools.kubectl,
    ['--kubeconfig', cluster.kubeconfigPath, ...args],
    input === undefined ? {} : { input },
  );
}

function helm(cluster: KubeCluster, args: readonly string[]): Promise<string> {
  return runOk(kube.tools.helm, ['--kubeconfig', cluster.kubeconfigPath, ...args]);
}

/** A namespace deleted when the file ends. */
async function namespace(cluster: KubeCluster, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await kubectl(cluster, ['create', 'namespace', name]);
  stack.defer(() =>
    kubectl(cluster, ['delete', 'namespace', name, '--wait=false']).then(() => undefined),
  );
  return name;
}

/** The Secrets the chart references, as an operator (or deploy/terraform) creates them. */
async function createSecrets(cluster: KubeCluster, ns: string): Promise<void> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await kubectl(cluster, [
    '-n',
    ns,
    'create',
    'secret',
    'generic',
    'lzy-internal-keys',
    `--from-literal=private-key=${privateKey}`,
    `--from-literal=public-key=${publicKey}`,
  ]);
  await kubectl(cluster, [
    ...['-n', ns, 'create', 'secret', 'generic', 'lzy-encryption-keys'],
    `--from-literal=keys=k1:${randomBytes(32).toString('base64')}`,
  ]);
  await kubectl(cluster, [
    '-n',
    ns,
    'create',
    'secret',
    'generic',
    'lzy-db',
    ...SERVICES.filter((s) => s !== 'site').map(
      (s) => `--from-literal=${s}-password=pw${s.length}`,
    ),
  ]);
  await kubectl(cluster, [
    '-n',
    ns,
    'create',
    'secret',
    'generic',
    'lzy-s3',
    '--from-literal=access-key-id=AKID',
    '--from-literal=secret-access-key=SECRET',
  ]);
}

async function installValues(vmNamespace: string): Promise<string> {
  const path = join(scratch, `${vmNamespace}.json`);
  await writeFile(
    path,
    JSON.stringify({
      image: { registry: 'registry.invalid/lzy', tag: 'test' },
      database: { host: 'postgres.invalid', sslMode: 'disable' },
      s3: { endpoint: 'http://s3.invalid:9000' },
      allocator: { vmNamespace },
      // Two replicas where the chart allows it: the PDBs then have something to protect.
      services: { iam: { replicas: 2 }, whiteboard: { replicas: 2 } },
    }),
  );
  return path;
}

interface PodList {
  items: Array<{
    metadata: { name: string; labels: Record<string, string> };
    spec: { nodeName?: string };
    status: { phase: string };
  }>;
}

describe('the chart on the real system cluster', () => {
  it('renders objects the API server accepts (kubectl apply --dry-run=server)', async () => {
    const ns = await namespace(kube.system, 'lzy-dry');
    const vms = await namespace(kube.system, 'lzy-dry-vms');
    const manifest = await runOk(kube.tools.helm, [
      'template',
      'lzy',
      CHART_DIR,
      '--namespace',
      ns,
      '--kube-version',
      K8S_VERSION,
      '-f',
      await installValues(vms),
      '-f',
      join(CHART_DIR, 'ci', 'everything-values.yaml'),
      '--set',
      `allocator.vmNamespace=${vms}`,
    ]);
    // No -n: every rendered object names its namespace (the release's, or the VM namespace).
    const out = await kubectl(kube.system, ['apply', '--dry-run=server', '-f', '-'], manifest);
    expect(out).toMatch(
      /deployment\.apps\/lzy-all-allocator (created|configured) \(server dry run\)/,
    );
    expect(out.match(/\(server dry run\)/g)?.length).toBeGreaterThanOrEqual(9 * 5);
  });

  it('the server dry run refuses an invalid object (the validation above is real)', async () => {
    const ns = await namespace(kube.system, 'lzy-dry-bad');
    const bad = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        replicas: 'two',
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'i' }] },
        },
      },
    });
    const result = await run(
      kube.tools.kubectl,
      [
        '--kubeconfig',
        kube.system.kubeconfigPath,
        'apply',
        '--dry-run=server',
        '-n',
        ns,
        '-f',
        '-',
      ],
      { input: bad },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/replicas/);
  });

  it('installs with every pod bound to a system node and Running, then uninstalls', async () => {
    const ns = await namespace(kube.system, 'lzy-install');
    const vms = await namespace(kube.system, 'lzy-install-vms');
    await createSecrets(kube.system, ns);
    const started = Date.now();
    await helm(kube.system, [
      'install',
      'lzy',
      CHART_DIR,
      '-n',
      ns,
      '-f',
      await installValues(vms),
      '--wait',
      '--timeout',
      '180s',
    ]);
    const installSeconds = (Date.now() - started) / 1000;

    const pods = JSON.parse(
      await kubectl(kube.system, ['-n', ns, 'get', 'pods', '-o', 'json']),
    ) as PodList;
    expect(pods.items).toHaveLength(SERVICES.length + 2);
    const systemNodes = new Set(
      (await kubectl(kube.system, ['get', 'nodes', '-l', 'lzy.ai/node-group=system', '-o', 'name']))
        .trim()
        .split('\n')
        .map((n) => n.replace('node/', '')),
    );
    for (const pod of pods.items) {
      expect(pod.status.phase, pod.metadata.name).toBe('Running');
      expect(systemNodes, pod.metadata.name).toContain(pod.spec.nodeName);
    }
    expect(new Set(pods.items.map((p) => p.metadata.labels['app.kubernetes.io/name']))).toEqual(
      new Set(SERVICES),
    );

    // The allocator's ServiceAccount may manage VM pods in the VM namespace, and nowhere else.
    const sa = `system:serviceaccount:${ns}:lzy-allocator`;
    expect(
      (
        await kubectl(kube.system, ['auth', 'can-i', 'create', 'pods', '-n', vms, '--as', sa])
      ).trim(),
    ).toBe('yes');
    expect(
      (await kubectl(kube.system, ['auth', 'can-i', 'list', 'nodes', '--as', sa])).trim(),
    ).toBe('yes');
    const elsewhere = await run(kube.tools.kubectl, [
      '--kubeconfig',
      kube.system.kubeconfigPath,
      'auth',
      'can-i',
      'create',
      'pods',
      '-n',
      ns,
      '--as',
      sa,
    ]);
    expect(elsewhere.stdout.trim()).toBe('no');
    const iam = `system:serviceaccount:${ns}:lzy-iam`;
    expect(
      (
        await run(kube.tools.kubectl, [
          '--kubeconfig',
          kube.system.kubeconfigPath,
          'auth',
          'can-i',
          'list',
          'pods',
          '-n',
          vms,
          '--as',
          iam,
        ])
      ).stdout.trim(),
    ).toBe('no');

    await helm(kube.system, ['uninstall', 'lzy', '-n', ns, '--wait', '--timeout', '120s']);
    const left = JSON.parse(
      await kubectl(kube.system, [
        '-n',
        ns,
        'get',
        'deployments,services,configmaps,poddisruptionbudgets',
        '-l',
        'app.kubernetes.io/instance=lzy',
        '-o',
        'json',
      ]),
    ) as { items: unknown[] };
    expect(left.items).toEqual([]);
    console.info(`helm install --wait of 11 pods took ${installSeconds.toFixed(1)} s`);
  });
});

describe('deploy/kind (README "Run on kind")', () => {
  it('its PostgreSQL + S3 manifests are accepted by the API server', async () => {
    const ns = await namespace(kube.system, 'lzy-kind');
    const manifest = await readFile(join(DEPLOY_DIR, 'kind', 'infra.yaml'), 'utf8');
    const out = await kubectl(
      kube.system,
      ['apply', '--dry-run=server', '-n', ns, '-f', '-'],
      manifest,
    );
    expect(out.match(/\(server dry run\)/g)).toHaveLength(5);
  });
});

describe('mode rbacOnly on the real worker cluster', () => {
  it('gives the allocator a token that may manage VM pods there and nothing else', async () => {
    const ns = await namespace(kube.worker, 'lzy-rbac');
    const vms = await namespace(kube.worker, 'lzy-rbac-vms');
    await helm(kube.worker, [
      'install',
      'lzy',
      CHART_DIR,
      '-n',
      ns,
      '--set',
      'mode=rbacOnly',
      '--set',
      `allocator.vmNamespace=${vms}`,
      '--wait',
    ]);
    // kube-controller-manager fills the token in; then a kubeconfig made of it works.
    let token = '';
    await expect
      .poll(
        async () => {
          token = await kubectl(kube.worker, [
            '-n',
            ns,
            'get',
            'secret',
            'lzy-allocator-token',
            '-o',
            'jsonpath={.data.token}',
          ]);
          return token.length;
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0);
    // The kubeconfig an operator builds from the token (chart NOTES.txt), nothing of the admin's.
    const ca = await kubectl(kube.worker, [
      '-n',
      ns,
      'get',
      'secret',
      'lzy-allocator-token',
      '-o',
      'jsonpath={.data.ca\\.crt}',
    ]);
    const kubeconfig = join(scratch, 'worker-allocator.kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'worker',
        clusters: [
          {
            name: 'worker',
            cluster: { server: kube.worker.server, 'certificate-authority-data': ca },
          },
        ],
        users: [
          { name: 'allocator', user: { token: Buffer.from(token, 'base64').toString('utf8') } },
        ],
        contexts: [{ name: 'worker', context: { cluster: 'worker', user: 'allocator' } }],
      }),
    );
    const asAllocator = (args: string[]) =>
      run(kube.tools.kubectl, ['--kubeconfig', kubeconfig, ...args]);
    expect((await asAllocator(['auth', 'can-i', 'create', 'pods', '-n', vms])).stdout.trim()).toBe(
      'yes',
    );
    expect((await asAllocator(['auth', 'can-i', 'watch', 'nodes'])).stdout.trim()).toBe('yes');
    expect(
      (await asAllocator(['auth', 'can-i', 'create', 'pods', '-n', 'default'])).stdout.trim(),
    ).toBe('no');
    expect((await asAllocator(['auth', 'can-i', 'get', 'secrets', '-n', ns])).stdout.trim()).toBe(
      'no',
    );
    await helm(kube.worker, ['uninstall', 'lzy', '-n', ns, '--wait']);
  });
});
