import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CleanupStack,
  realNodeUnavailable,
  startPostgres,
  startRealNodes,
  startS3,
  useKubernetes,
} from '@lzy/testing';
import type { PostgresCluster, RealNodes, S3Server, TestKubernetes } from '@lzy/testing';
import {
  buildImages,
  DB_PASSWORD_KEYS,
  kubectlOf,
  killWorkerPodMidOp,
  listPods,
  rsaKeyPair,
  SERVICE_DATABASES,
  SYSTEM_NODE_LABELS,
  WORKER_NODE_LABELS,
  writeE2eValues,
  type BuiltImages,
} from './real-cluster.ts';
import { CHART_DIR, REPO_DIR, run, runOk, uniqueName } from './tools.ts';

// LZY-TS in real pods: the images of this tree (docker/podman-build.sh, cached by content hash),
// two real nodes (kubelet + containerd) in the system test cluster next to its KWOK nodes, the
// chart installed with those images, PostgreSQL and versitygw on the host's bridge address, and
// both SDKs' fan-out examples run to their result with every op in a worker pod.

const SYSTEM_NODE = 'lzy-e2e-system';
const WORKER_NODE = 'lzy-e2e-worker';

let kube: TestKubernetes;
let kubectl: ReturnType<typeof kubectlOf>;
let images: BuiltImages;
let nodes: RealNodes;
let pg: PostgresCluster;
let s3: S3Server;
let ns: string;
let scratch: string;
let client: { env: NodeJS.ProcessEnv };
const timings: Record<string, number> = {};
let failed = false;
let logsSaved = false;
const stack = new CleanupStack();

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = (Date.now() - started) / 1000;
  }
}

/** Host-side address of a chart Service (its pod, on the bridge; the harness's DNS answers). */
async function serviceAddress(service: string, port: number): Promise<string> {
  const [ip] = await nodes.dns.resolveService(`lzy-${service}`, ns);
  if (ip === undefined) throw new Error(`no endpoint of lzy-${service} in ${ns}`);
  return `${ip}:${port}`;
}

beforeAll(async () => {
  kube = useKubernetes();
  const why = realNodeUnavailable();
  if (why !== undefined) throw new Error(why);
  kubectl = kubectlOf(kube.tools, kube.system);
  scratch = await mkdtemp(join(tmpdir(), 'lzy-e2e-'));
  stack.defer(() => rm(scratch, { recursive: true, force: true }));

  images = await timed('images', buildImages);
  nodes = stack.push(
    await timed('real nodes', () =>
      startRealNodes({
        cluster: kube.system,
        nodes: [
          {
            name: SYSTEM_NODE,
            labels: SYSTEM_NODE_LABELS,
            imageArchives: [images.servicesArchive],
          },
          { name: WORKER_NODE, labels: WORKER_NODE_LABELS, imageArchives: [images.workerArchive] },
        ],
      }),
    ),
  );
  pg = stack.push(
    await startPostgres({ extraListen: { address: nodes.hostIp, allowFrom: nodes.podCidr } }),
  );
  for (const db of SERVICE_DATABASES) await pg.createDatabase(db);
  s3 = stack.push(await startS3({ host: nodes.hostIp }));

  ns = uniqueName('lzy-e2e');
  await kubectl(['create', 'namespace', ns]);
  stack.defer(() => kubectl(['delete', 'namespace', ns, '--wait=false']).then(() => undefined));
  const internal = rsaKeyPair();
  await kubectl([
    ...['-n', ns, 'create', 'secret', 'generic', 'lzy-internal-keys'],
    `--from-literal=private-key=${internal.privateKey}`,
    `--from-literal=public-key=${internal.publicKey}`,
  ]);
  await kubectl([
    ...['-n', ns, 'create', 'secret', 'generic', 'lzy-encryption-keys'],
    `--from-literal=keys=k1:${randomBytes(32).toString('base64')}`,
  ]);
  // Trust authentication on the bridge: the passwords are not checked, only required.
  await kubectl([
    ...['-n', ns, 'create', 'secret', 'generic', 'lzy-db'],
    ...DB_PASSWORD_KEYS.map((k) => `--from-literal=${k}=unused`),
  ]);
  await kubectl([
    ...['-n', ns, 'create', 'secret', 'generic', 'lzy-s3'],
    `--from-literal=access-key-id=${s3.accessKeyId}`,
    `--from-literal=secret-access-key=${s3.secretAccessKey}`,
  ]);
  const values = await writeE2eValues(join(scratch, 'values.json'), {
    tag: images.tag,
    database: { host: nodes.hostIp, port: pg.port },
    s3Endpoint: s3.endpoint,
  });
  const helm = [kube.tools.helm, '--kubeconfig', kube.system.kubeconfigPath] as const;
  await timed('helm install --wait', () =>
    runOk(helm[0], [
      ...helm.slice(1),
      ...['install', 'lzy', CHART_DIR, '-n', ns, '-f', values, '--wait', '--timeout', '600s'],
    ]),
  );
  // Runs after the logs are saved (a stack); the last test may have uninstalled already.
  stack.defer(() =>
    run(helm[0], [...helm.slice(1), 'uninstall', 'lzy', '-n', ns, '--wait']).then(() => undefined),
  );
  stack.defer(() => (failed ? saveLogs() : Promise.resolve()));

  // A user, registered in iam as an operator does (README: lzy add-user).
  const user = rsaKeyPair();
  const keyPath = join(scratch, 'alice.pem');
  await writeFile(keyPath, user.privateKey);
  await writeFile(join(scratch, 'alice.pub'), user.publicKey);
  await writeFile(join(scratch, 'internal.pem'), internal.privateKey);
  await runOk(process.execPath, [
    join(REPO_DIR, 'libs/cli/src/main.ts'),
    ...['add-user', '--iam', await serviceAddress('iam', 8443)],
    ...['--internal-key', join(scratch, 'internal.pem'), '--login', 'alice'],
    ...['--public-key', join(scratch, 'alice.pub')],
  ]);
  client = {
    env: {
      PATH: process.env['PATH'],
      HOME: scratch,
      LZY_ENDPOINT: await serviceAddress('lzy-service', 8899),
      LZY_WHITEBOARD_ENDPOINT: await serviceAddress('whiteboard', 8122),
      LZY_USER: 'alice',
      LZY_KEY_PATH: keyPath,
      FETCH_STATUS_PERIOD_SEC: '0.5',
    },
  };
}, 1_800_000);

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
});

/** Logs of every pod of the namespace and the nodes' kubelet logs, into a kept directory. */
async function saveLogs(): Promise<void> {
  if (logsSaved) return;
  logsSaved = true;
  const dir = await mkdtemp(join(tmpdir(), `lzy-e2e-logs-${ns}-`));
  for (const pod of await listPods(kubectl, ns).catch(() => [])) {
    const log = await kubectl(['-n', ns, 'logs', pod.metadata.name, '--all-containers']).catch(
      (err: unknown) => String(err),
    );
    await writeFile(join(dir, `${pod.metadata.name}.log`), log);
  }
  const events = await kubectl(['-n', ns, 'get', 'events', '--sort-by=.lastTimestamp']).catch(
    (err: unknown) => String(err),
  );
  await writeFile(join(dir, 'events.txt'), events);
  await cp(nodes.dir, join(dir, 'nodes'), {
    recursive: true,
    filter: (src) => !src.includes('/containerd/') && !src.includes('/kubelet/'),
  }).catch(() => undefined);
  console.error(`e2e: a test failed; pod logs and events kept in ${dir}`);
}

afterAll(async () => {
  await stack.close();
  console.info(
    `e2e: ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ')}`,
  );
}, 300_000);

/** Polls the logs of the worker pods of `ns` until one shows `text` (pods go when idle). */
async function watchWorkerLogs(text: string, until: Promise<unknown>): Promise<string | undefined> {
  let done = false;
  void until.finally(() => (done = true));
  for (;;) {
    const pods = await listPods(kubectl, ns, 'lzy.ai/cluster-type=worker').catch(() => []);
    for (const pod of pods) {
      const log = await kubectl(['-n', ns, 'logs', pod.metadata.name]).catch(() => '');
      if (log.includes(text)) return pod.metadata.name;
    }
    if (done) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('LZY-TS on real nodes of the test control plane', () => {
  it('installs the chart with this run’s images: every service ready on the real system node', async () => {
    const pods = await listPods(kubectl, ns, 'app.kubernetes.io/instance=lzy');
    expect(pods.length).toBe(9);
    for (const pod of pods) {
      expect(pod.spec.nodeName, pod.metadata.name).toBe(SYSTEM_NODE);
      expect(
        pod.status.containerStatuses?.every((c) => c.ready),
        pod.metadata.name,
      ).toBe(true);
    }
    for (const [image, size] of images.sizes) {
      if (!image.includes('lzy-worker')) expect(size, image).toBeLessThanOrEqual(250 * 1000 ** 2);
    }
    console.info(
      `images (built/cached in ${images.seconds.toFixed(1)} s): ${[...images.sizes]
        .map(([i, s]) => `${i.replace(/^localhost\//, '')} ${(s / 1e6).toFixed(0)} MB`)
        .join(', ')}`,
    );
  });

  it('runs the TypeScript fan-out (385) with its ops in a worker pod on the real worker node', async () => {
    const run = timed('TS fan-out', () =>
      runOk(process.execPath, [join(REPO_DIR, 'examples/ts/fan-out.ts')], client),
    );
    const pod = await watchWorkerLogs('command exited', run);
    const out = await run;
    expect(out).toContain('385');
    expect(out).toMatch(/whiteboard fan-out \S+: sum = 385/);
    expect(pod).toBeDefined();
  }, 600_000);

  it("runs the Python fan-out (385); the worker pod's log shows what its op printed", async () => {
    const python = process.env['LZY_TEST_PYTHON'] ?? join(REPO_DIR, 'python/.venv/bin/python');
    const run = timed('Python fan-out', () =>
      runOk(python, [join(REPO_DIR, 'examples/python/fan_out.py')], client),
    );
    const pod = await watchWorkerLogs('squaring 7', run);
    const out = await run;
    expect(out).toMatch(/total=385 count=10/);
    expect(pod, 'a worker pod whose log shows "squaring 7"').toBeDefined();
    const [worker] = await listPods(kubectl, ns, 'lzy.ai/cluster-type=worker');
    if (worker !== undefined) expect(worker.spec.nodeName).toBe(WORKER_NODE);
  }, 600_000);

  it('runs an op again in a new pod after its worker pod is deleted mid-op; the user sees the retry', async () => {
    const marker = uniqueName('pod-kill');
    const workflowRun = timed('pod kill', () =>
      run(process.execPath, [join(REPO_DIR, 'deploy/test/fixtures/pod-kill.ts'), marker], {
        env: client.env,
      }),
    );
    const killed = await killWorkerPodMidOp(kubectl, ns, `${marker} running`);
    const result = await workflowRun;
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    expect(result.stdout).toContain('result=49');
    expect(result.stderr).toMatch(
      /op 'slowSquare' \(task [^)]+\): attempt 1 of 3 .*running it again/,
    );
    const pods = await listPods(kubectl, ns, 'lzy.ai/cluster-type=worker');
    expect(pods.map((p) => p.metadata.name)).not.toContain(killed);
  }, 600_000);

  it('stops the real nodes leaving no bridge, cgroup, mount or Kubernetes iptables rule behind', async () => {
    if (failed) await saveLogs();
    await run(kube.tools.helm, [
      ...['--kubeconfig', kube.system.kubeconfigPath, 'uninstall', 'lzy', '-n', ns, '--wait'],
    ]);
    await nodes.stop();
    expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain('lzy-cni0');
    for (const hierarchy of await readdir('/sys/fs/cgroup')) {
      const entries = await readdir(join('/sys/fs/cgroup', hierarchy)).catch(() => []);
      expect(
        entries.filter((e) => e.startsWith('lzy-lzy-e2e-')),
        hierarchy,
      ).toEqual([]);
    }
    expect(execFileSync('cat', ['/proc/self/mountinfo']).toString()).not.toContain(nodes.dir);
    const rules = execFileSync('iptables-save').toString();
    expect(rules).not.toMatch(/KUBE-KUBELET-CANARY|CNI-/);
    const nodeList = await kubectl(['get', 'nodes', '-o', 'name']);
    expect(nodeList).not.toContain(SYSTEM_NODE);
  });
});
