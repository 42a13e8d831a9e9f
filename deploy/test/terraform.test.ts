import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CleanupStack, useKubernetes } from '@lzy/testing';
import type { KubeCluster, TestKubernetes } from '@lzy/testing';
import { DEPLOY_DIR, run, runOk, uniqueName } from './tools.ts';

// deploy/terraform with the real tools: fmt of every module, init + validate of every module
// whose providers exist here (kubernetes, helm: the filesystem mirror of scripts/k8s/build.sh),
// `test` of the provider-free naming module, and apply then destroy of the in-cluster layer
// (root any-cluster: worker mode in the worker cluster, system mode in the system cluster).
// The Yandex modules get fmt only: their provider cannot be built here.

const MODULES = [
  'modules/naming',
  'modules/in-cluster',
  'modules/yandex-cloud',
  'any-cluster',
  'yandex',
];
const VALIDATED = ['modules/naming', 'modules/in-cluster', 'any-cluster'];

let kube: TestKubernetes;
let work: string;
const stack = new CleanupStack();

beforeAll(async () => {
  kube = useKubernetes();
  // A copy of deploy/ (terraform + the chart it installs), so init leaves nothing in the tree.
  work = await mkdtemp(join(tmpdir(), 'lzy-tf-'));
  stack.defer(() => rm(work, { recursive: true, force: true }));
  await cp(join(DEPLOY_DIR, 'terraform'), join(work, 'terraform'), { recursive: true });
  await cp(join(DEPLOY_DIR, 'helm'), join(work, 'helm'), { recursive: true });
});
afterAll(() => stack.close());

/** Offline: providers only from the build's filesystem mirror. */
function tofuEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: kube.tools.tofuCliConfigPath,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
  };
}

function tofu(module: string, args: readonly string[]): Promise<string> {
  return runOk(kube.tools.tofu, [`-chdir=${join(work, 'terraform', module)}`, ...args], {
    env: tofuEnv(),
  });
}

function kubectl(cluster: KubeCluster, args: readonly string[], input?: string): Promise<string> {
  return runOk(
    kube.tools.kubectl,
    ['--kubeconfig', cluster.kubeconfigPath, ...args],
    input === undefined ? {} : { input },
  );
}

describe('terraform modules offline', () => {
  it('lists every module directory it checks', async () => {
    const modules = (await readdir(join(DEPLOY_DIR, 'terraform', 'modules'))).map(
      (m) => `modules/${m}`,
    );
    expect(MODULES).toEqual(expect.arrayContaining(modules));
  });

  it.each(MODULES)('%s is formatted (fmt -check)', async (module) => {
    const result = await run(
      kube.tools.tofu,
      [
        `-chdir=${join(DEPLOY_DIR, 'terraform', module)}`,
        'fmt',
        '-check',
        '-recursive',
        '-diff',
        '-no-color',
      ],
      {
        env: tofuEnv(),
      },
    );
    expect(result.code, result.stdout).toBe(0);
  });

  it.each(VALIDATED)('%s initialises offline and validates', async (module) => {
    await tofu(module, ['init', '-backend=false', '-input=false', '-no-color']);
    expect(await tofu(module, ['validate', '-no-color'])).toContain('The configuration is valid');
  });

  it('naming: its tests pass (database names, pool labels, taints, refused duplicates)', async () => {
    await tofu('modules/naming', ['init', '-backend=false', '-input=false', '-no-color']);
    const out = await tofu('modules/naming', ['test', '-no-color']);
    expect(out).toMatch(/Success! 4 passed, 0 failed/);
  });
});

describe('the in-cluster layer on the real clusters', () => {
  it('applies (worker RBAC + system release + node labels), then destroys everything', async () => {
    const ns = uniqueName('lzy-tf');
    const vms = uniqueName('lzy-tf-vms');
    // A node of its own to label (tainted: nothing lands on it), so other files' nodes stay as they are.
    const node = uniqueName('lzy-tf-node');
    await kubectl(
      kube.system,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: node, labels: { type: 'tf-test' } },
        spec: { taints: [{ key: 'lzy.ai/test', value: 'terraform', effect: 'NoSchedule' }] },
      }),
    );
    stack.defer(() =>
      kubectl(kube.system, ['delete', 'node', node, '--ignore-not-found']).then(() => undefined),
    );
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const services = [
      'iam',
      'storage',
      'channel-manager',
      'allocator',
      'scheduler',
      'graph-executor',
      'whiteboard',
      'lzy-service',
    ];
    const varFile = join(work, 'test.tfvars.json');
    await writeFile(
      varFile,
      JSON.stringify({
        kubeconfig_path: kube.system.kubeconfigPath,
        worker_kubeconfig_path: kube.worker.kubeconfigPath,
        worker_cluster_server: kube.worker.server,
        namespace: ns,
        vm_namespace: vms,
        image_registry: 'registry.invalid/lzy',
        database: {
          host: 'postgres.invalid',
          ssl_mode: 'disable',
          passwords: Object.fromEntries(services.map((s) => [s, `pw-${s}`])),
        },
        internal_private_key_pem: privateKey,
        encryption_keys: `k1:${randomBytes(32).toString('base64')}`,
        internal_public_key_pem: publicKey,
        s3: {
          endpoint: 'http://s3.invalid:9000',
          access_key_id: 'AKID',
          secret_access_key: 'SECRET',
        },
        pools: [
          { label: 's', cluster_type: 'WORKER', cpu_count: 2, ram_gb: 2, zones: ['local'] },
          { label: 'portals', cluster_type: 'SYSTEM', cpu_count: 2, ram_gb: 4, zones: ['local'] },
        ],
        node_labels: {
          [node]: {
            'lzy.ai/node-pool-label': 'tf-test',
            'lzy.ai/node-pool-az': 'local',
            'lzy.ai/node-pool-state': 'ACTIVE',
          },
        },
      }),
    );
    await tofu('any-cluster', ['init', '-backend=false', '-input=false', '-no-color']);
    let applied = false;
    stack.defer(async () => {
      if (applied)
        await tofu('any-cluster', [
          'destroy',
          '-auto-approve',
          '-input=false',
          '-no-color',
          `-var-file=${varFile}`,
        ]);
    });
    const started = Date.now();
    applied = true;
    await tofu('any-cluster', [
      'apply',
      '-auto-approve',
      '-input=false',
      '-no-color',
      `-var-file=${varFile}`,
    ]);
    const applySeconds = (Date.now() - started) / 1000;

    // The release is up on system nodes, with the pools and secrets the module made.
    const pods = JSON.parse(
      await kubectl(kube.system, ['-n', ns, 'get', 'pods', '-o', 'json']),
    ) as { items: Array<{ status: { phase: string } }> };
    expect(pods.items).toHaveLength(9);
    expect(pods.items.every((p) => p.status.phase === 'Running')).toBe(true);
    const pools = await kubectl(kube.system, [
      '-n',
      ns,
      'get',
      'configmap',
      'lzy-allocator',
      '-o',
      'jsonpath={.data.LZY_ALLOCATOR_POOLS}',
    ]);
    expect((JSON.parse(pools) as Array<{ label: string }>).map((p) => p.label)).toEqual([
      's',
      'portals',
    ]);
    const labels = JSON.parse(
      await kubectl(kube.system, ['get', 'node', node, '-o', 'jsonpath={.metadata.labels}']),
    ) as Record<string, string>;
    expect(labels).toMatchObject({
      'lzy.ai/node-pool-label': 'tf-test',
      'lzy.ai/node-pool-az': 'local',
    });

    // The allocator's worker kubeconfig (made from the worker-mode token) really works there.
    const kubeconfig = Buffer.from(
      await kubectl(kube.system, [
        '-n',
        ns,
        'get',
        'secret',
        'lzy-worker-kubeconfig',
        '-o',
        'jsonpath={.data.kubeconfig}',
      ]),
      'base64',
    ).toString('utf8');
    const kubeconfigPath = join(work, 'allocator-worker.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig);
    const canI = (args: string[]) =>
      run(kube.tools.kubectl, ['--kubeconfig', kubeconfigPath, 'auth', 'can-i', ...args]);
    expect((await canI(['create', 'pods', '-n', vms])).stdout.trim()).toBe('yes');
    expect((await canI(['create', 'pods', '-n', 'kube-system'])).stdout.trim()).toBe('no');

    const destroyStarted = Date.now();
    await tofu('any-cluster', [
      'destroy',
      '-auto-approve',
      '-input=false',
      '-no-color',
      `-var-file=${varFile}`,
    ]);
    applied = false;
    const destroySeconds = (Date.now() - destroyStarted) / 1000;
    const after = JSON.parse(
      await kubectl(kube.system, ['get', 'node', node, '-o', 'jsonpath={.metadata.labels}']),
    ) as Record<string, string>;
    expect(after).not.toHaveProperty('lzy.ai/node-pool-label');
    const releases = await runOk(kube.tools.helm, [
      '--kubeconfig',
      kube.system.kubeconfigPath,
      'list',
      '-q',
      '-n',
      ns,
    ]);
    expect(releases.trim()).toBe('');
    await expect
      .poll(
        async () =>
          (
            await run(kube.tools.kubectl, [
              '--kubeconfig',
              kube.system.kubeconfigPath,
              'get',
              'namespace',
              ns,
            ])
          ).code,
        { timeout: 60_000 },
      )
      .not.toBe(0);
    console.info(`tofu apply ${applySeconds.toFixed(1)} s, destroy ${destroySeconds.toFixed(1)} s`);
  });
});
