import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port.ts';
import { KubeHttpError, kubeRequest, type KubeConnection } from './kube-http.ts';
import { clusterNodes, type TestPool } from './kube-nodes.ts';
import { adminKubeconfig, makeKubePki } from './kube-pki.ts';
import { pollUntil } from './poll-until.ts';

export type KubeClusterName = 'worker' | 'system';

/** One test cluster as the tests see it (plain data). */
export interface KubeCluster {
  readonly name: KubeClusterName;
  /** Admin kubeconfig (system:masters client certificate, certificates embedded). */
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
}

/** A line of `<dir>/pids`: one control-plane process, found again by stop.sh / stopClusters. */
interface PidRecord {
  readonly cluster: KubeClusterName;
  readonly name: string;
  readonly pid: number;
  readonly bin: string;
}

export interface StartClusterOptions {
  readonly name: KubeClusterName;
  /** The run's directory; this cluster lives in `<dir>/<name>`, its pids go to `<dir>/pids`. */
  readonly dir: string;
  readonly binDir: string;
  readonly pools: readonly TestPool[];
  /** Own process group, not tied to this process (scripts/k8s/start.sh exits after starting). */
  readonly detached: boolean;
  readonly timeoutMs?: number;
}

/**
 * ClusterIPs. RFC 2544's benchmark range, never routed off the machine: only the `kubernetes`
 * Service's address is ever served, by the real-node harness (kube-node.ts) on the pods' bridge.
 */
const SERVICE_CIDR = '198.19.0.0/16';
/** The `kubernetes` Service's ClusterIP (first of SERVICE_CIDR; in the apiserver's SAN). */
export const KUBERNETES_SERVICE_IP = '198.19.0.1';

/**
 * Starts one cluster: PKI and admin kubeconfig, etcd, kube-apiserver, then kube-controller-manager,
 * kube-scheduler and KWOK, then the KWOK nodes of `pools` (and the system nodes); resolves when
 * every node is Ready and untainted and the controller manager made the default service account.
 * On failure the caller runs {@link stopClusters} on the same dir (the pids are already recorded).
 */
export async function startCluster(opts: StartClusterOptions): Promise<KubeCluster> {
  const { name, binDir } = opts;
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const home = join(opts.dir, name);
  const [pkiDir, logDir, etcdDir] = ['pki', 'logs', 'etcd'].map((d) => join(home, d)) as [
    string,
    string,
    string,
  ];
  await Promise.all([pkiDir, logDir].map((d) => mkdir(d, { recursive: true })));
  const [etcdPort, peerPort, apiPort] = await distinctFreePorts(3);
  const server = `https://127.0.0.1:${apiPort}`;
  const pki = await makeKubePki(pkiDir);
  const kubeconfigPath = join(home, 'kubeconfig');
  const kwokConfigPath = join(home, 'kwok.yaml');
  await Promise.all([
    writeFile(kubeconfigPath, await adminKubeconfig(pki, server, `lzy-test-${name}`), {
      mode: 0o600,
    }),
    writeFile(kwokConfigPath, await kwokConfig(binDir)),
  ]);
  const conn: KubeConnection = {
    server,
    ...Object.fromEntries(
      await Promise.all(
        (
          [
            ['ca', pki.caCert],
            ['cert', pki.adminCert],
            ['key', pki.adminKey],
          ] as const
        ).map(async ([k, path]) => [k, await readFile(path, 'utf8')] as const),
      ),
    ),
  } as KubeConnection;

  const failed = new AbortController();
  const start = async (proc: string, args: readonly string[]): Promise<void> => {
    const bin = join(binDir, proc);
    const logPath = join(logDir, `${proc}.log`);
    const log = openSync(logPath, 'a');
    try {
      const child = spawn(bin, args, { detached: opts.detached, stdio: ['ignore', log, log] });
      if (child.pid === undefined) throw new Error(`${name}: could not start ${bin}`);
      const record: PidRecord = { cluster: name, name: proc, pid: child.pid, bin };
      await appendFile(pidsPath(opts.dir), `${JSON.stringify(record)}\n`);
      child.once('exit', (code, signal) => {
        const why = signal === null ? `code ${code}` : signal;
        const reason = new Error(
          `${name} cluster: ${proc} exited (${why}) during start; see ${logPath}`,
        );
        if (!failed.signal.aborted) failed.abort(reason);
      });
      if (opts.detached) child.unref();
    } finally {
      closeSync(log);
    }
  };
  const poll = <T>(description: string, fn: () => Promise<T | undefined>): Promise<T> =>
    pollUntil(fn, {
      timeoutMs,
      intervalMs: 50,
      signal: failed.signal,
      description: `${name} cluster: ${description}`,
    });

  await start('etcd', [
    `--name=${name}`,
    `--data-dir=${etcdDir}`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-cluster=${name}=http://127.0.0.1:${peerPort}`,
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]);
  // The apiserver retries etcd until it answers: no need to wait for etcd first.
  await start('kube-apiserver', [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    // Without it the apiserver tries to publish 127.0.0.1 as the `kubernetes` service endpoint.
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    // A real node (kube-node.ts) is named apart from the host: reach kubelets by their node IP.
    '--kubelet-preferred-address-types=InternalIP',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
  ]);
  await poll('kube-apiserver /readyz', () =>
    kubeRequest(conn, 'GET', '/readyz').then((body) => (body === 'ok' ? true : undefined)),
  );

  const kubeconfig = `--kubeconfig=${kubeconfigPath}`;
  await start('kube-controller-manager', [
    kubeconfig,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    '--leader-elect=false',
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--use-service-account-credentials=false',
    '--profiling=false',
  ]);
  await start('kube-scheduler', [
    kubeconfig,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    '--leader-elect=false',
    '--profiling=false',
  ]);
  await start('kwok', [
    kubeconfig,
    `--config=${kwokConfigPath}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--node-ip=127.0.0.1',
    '--cidr=10.244.0.0/16',
    '--node-lease-duration-seconds=40',
  ]);

  const nodes = clusterNodes(name, opts.pools);
  await Promise.all(nodes.map((node) => createOrKeep(conn, '/api/v1/nodes', node)));
  await poll(`${nodes.length} KWOK nodes Ready and untainted`, async () => {
    const list = (await kubeRequest(conn, 'GET', '/api/v1/nodes')) as NodeList;
    const ready = list.items.filter(isReadyNode);
    return ready.length >= nodes.length ? true : undefined;
  });
  await poll('kube-controller-manager made the default service account', () =>
    kubeRequest(conn, 'GET', '/api/v1/namespaces/default/serviceaccounts/default').then(() => true),
  );
  failed.abort(new Error('started')); // later exits are the tests' business, not the start's
  return { name, kubeconfigPath, server };
}

interface NodeList {
  readonly items: readonly {
    readonly spec?: { readonly taints?: readonly { readonly key: string }[] };
    readonly status?: { readonly conditions?: readonly { type: string; status: string }[] };
  }[];
}

function isReadyNode(node: NodeList['items'][number]): boolean {
  const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  // The node lifecycle controller taints new nodes not-ready until it sees them Ready.
  const tainted = node.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/'));
  return ready === true && tainted !== true;
}

async function createOrKeep(conn: KubeConnection, path: string, body: object): Promise<void> {
  try {
    await kubeRequest(conn, 'POST', path, body);
  } catch (err) {
    if (!(err instanceof KubeHttpError && err.status === 409)) throw err;
  }
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** KWOK's config: fast node/pod stages from the kwok module (build.sh copies them), options. */
async function kwokConfig(binDir: string): Promise<string> {
  const stagesDir = join(binDir, 'kwok-stages');
  const stages = [
    'node-initialize',
    'node-heartbeat-with-lease',
    'pod-ready',
    'pod-complete',
    'pod-delete',
  ];
  const docs = await Promise.all(stages.map((s) => readFile(join(stagesDir, `${s}.yaml`), 'utf8')));
  const options = `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  nodeLeaseDurationSeconds: 40
  nodeLeaseParallelism: 4
  nodePlayStageParallelism: 4
  podPlayStageParallelism: 4
`;
  return [options, ...docs].map((d) => d.trim()).join('\n---\n') + '\n';
}

function pidsPath(dir: string): string {
  return join(dir, 'pids');
}

/**
 * Stops every process recorded in `<dir>/pids`: per cluster (both at once) KWOK, scheduler and
 * controller manager first, then kube-apiserver, then etcd; SIGTERM, SIGKILL after a grace period.
 * Resolves when all of them are gone. Idempotent; a missing pids file means nothing to stop.
 */
export async function stopClusters(dir: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(pidsPath(dir), 'utf8');
  } catch {
    return;
  }
  const records = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as PidRecord);
  const clusters = [...new Set(records.map((r) => r.cluster))];
  await Promise.all(
    clusters.map(async (cluster) => {
      const of = (...names: string[]): PidRecord[] =>
        records.filter((r) => r.cluster === cluster && names.includes(r.name));
      await terminate(of('kwok', 'kube-scheduler', 'kube-controller-manager'), 2_000);
      await terminate(of('kube-apiserver'), 2_000);
      await terminate(of('etcd'), 5_000);
    }),
  );
  await rm(pidsPath(dir), { force: true });
}

async function terminate(procs: readonly PidRecord[], graceMs: number): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (!(await isRunning(p))) return;
      signal(p.pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline) {
        if (!(await isRunning(p))) return;
        await delay(20);
      }
      signal(p.pid, 'SIGKILL');
      while (await isRunning(p)) await delay(20);
    }),
  );
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Alive and still our binary (not a zombie, not a recycled pid). */
async function isRunning(p: PidRecord): Promise<boolean> {
  try {
    const [stat, cmdline] = await Promise.all([
      readFile(`/proc/${p.pid}/stat`, 'utf8'),
      readFile(`/proc/${p.pid}/cmdline`, 'utf8'),
    ]);
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X' && cmdline.split('\0')[0] === p.bin;
  } catch {
    return false;
  }
}
