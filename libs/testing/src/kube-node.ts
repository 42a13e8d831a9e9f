import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { KUBERNETES_SERVICE_IP, type KubeCluster } from './kube-cluster.ts';
import { startClusterDns, type ClusterDns } from './kube-dns.ts';
import { kubeRequest, type KubeConnection } from './kube-http.ts';
import {
  cniConfig,
  containerdConfig,
  containerdSocket,
  kubeletConfig,
  type RealNodeLayout,
} from './kube-node-config.ts';
import { createCgroupTree, restoreHost, snapshotHost } from './kube-node-host.ts';
import { freePort } from './free-port.ts';
import { K8S_VERSION } from './kube-tools.ts';
import { pollUntil } from './poll-until.ts';

const run = promisify(execFile);

/** The sandbox image scripts/k8s/build-node.sh builds (pause.c, static) and names. */
const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
/** The pods' bridge; made before the CNI plugin (which adopts it) to carry the addresses below. */
const BRIDGE_LINK = 'lzy-cni0';
/**
 * TEST-NET-1 (RFC 5737, documentation addresses, never routed) on the bridge: `.1` is the host as
 * pods see it (cluster DNS; PostgreSQL, S3 of a test), `.2`, `.3`, … the nodes' InternalIPs.
 */
const HOST_IP = '192.0.2.1';
const nodeIp = (i: number): string => `192.0.2.${i + 2}`;
/**
 * Pods: RFC 2544's benchmark range, never routed off the machine; one subnet for every node (the
 * bridge plugin accepts only its own gateway as the bridge's first IPv4 address), node i
 * allocating from 198.18.i.10-250.
 */
const POD_SUBNET = '198.18.0.0/16';
const POD_GATEWAY = '198.18.0.1';
const podRange = (i: number): [string, string] => [`198.18.${i}.10`, `198.18.${i}.250`];

/** The kubelet and pause image of scripts/k8s/build-node.sh (cache outside the clone). */
export function realNodeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(cacheHome, 'lzy-ts', `k8s-node-${K8S_VERSION}`);
}

/**
 * Why real nodes cannot start on this machine, or undefined when they can: root, Debian's
 * containerd, runc, CNI plugins and iptables (scripts/setup.sh), kubelet + pause image
 * (scripts/k8s/build-node.sh).
 */
export function realNodeUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.getuid?.() !== 0) return 'a real test node needs root';
  const cache = realNodeCacheDir(env);
  const needs: [string, string][] = [
    [join(cache, '.complete'), 'run bash scripts/k8s/build-node.sh'],
    ['/usr/bin/containerd', 'apt-get install containerd (scripts/setup.sh)'],
    ['/usr/sbin/runc', 'apt-get install runc (scripts/setup.sh)'],
    ['/usr/lib/cni/bridge', 'apt-get install containernetworking-plugins (scripts/setup.sh)'],
    ['/usr/sbin/iptables', 'apt-get install iptables (scripts/setup.sh)'],
  ];
  for (const [path, fix] of needs) {
    try {
      accessSync(path, constants.R_OK);
    } catch {
      return `a real test node needs ${path}: ${fix}`;
    }
  }
  return undefined;
}

/** One node to start: its name, labels and images. */
export interface RealNodeSpec {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** docker-archives (`podman save`) imported into its containerd before its kubelet starts. */
  readonly imageArchives?: readonly string[];
}

export interface StartRealNodesOptions {
  /** The cluster they register with (the kubelets use its admin kubeconfig). */
  readonly cluster: KubeCluster;
  readonly nodes: readonly RealNodeSpec[];
  readonly timeoutMs?: number;
}

/** Real nodes (containerd + kubelet each, one bridge) and the cluster DNS of their pods. */
export interface RealNodes {
  readonly nodes: readonly { readonly name: string; readonly ip: string }[];
  /** The host's address on the pods' bridge: host processes listening here serve every pod. */
  readonly hostIp: string;
  /** Addresses of the pods' bridge network (for access rules such as pg_hba). */
  readonly podCidr: string;
  readonly dns: ClusterDns;
  /** Logs of every containerd and kubelet are under `<dir>/<node>/logs`. */
  readonly dir: string;
  /**
   * Deletes every pod bound to the nodes, stops the kubelets and containerds, deletes the Node
   * objects and puts the host back (mounts, cgroups, links, iptables, sysctls). Idempotent.
   * Throws listing what stayed changed.
   */
  stop(): Promise<void>;
}

/**
 * Starts real nodes next to the KWOK nodes of `cluster` (shared/TOOLCHAIN.md, "A real node
 * works"): a bridge carrying the host and node addresses, the harness's cluster DNS on the host
 * address, then per node containerd (pause image and `imageArchives` imported) and kubelet;
 * resolves when every node is Ready. One set per machine at a time (the bridge and addresses are
 * fixed). A failed start undoes what it did and keeps the logs.
 */
export async function startRealNodes(opts: StartRealNodesOptions): Promise<RealNodes> {
  const why = realNodeUnavailable();
  if (why !== undefined) throw new Error(why);
  const { stdout: links } = await run('ip', ['-o', 'link', 'show']);
  if (links.includes(` ${BRIDGE_LINK}:`)) {
    throw new Error(
      `real test nodes are already running on this machine (link ${BRIDGE_LINK} exists); ` +
        `stop them, or remove the link: ip link del ${BRIDGE_LINK}`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'lzy-nodes-'));
  const layouts: RealNodeLayout[] = [];
  for (const [i, spec] of opts.nodes.entries()) {
    layouts.push({
      name: spec.name,
      dir: join(dir, spec.name),
      ip: nodeIp(i),
      podSubnet: POD_SUBNET,
      podGateway: POD_GATEWAY,
      podRange: podRange(i),
      bridge: BRIDGE_LINK,
      kubeletPort: await freePort(),
      kubeletHealthzPort: await freePort(),
      cgroupRoot: `/lzy-${spec.name}`,
    });
  }
  const conn = await connectionOf(opts.cluster.kubeconfigPath);
  const before = await snapshotHost();
  const processes: ChildProcess[] = [];
  let dns: ClusterDns | undefined;
  let apiProxy: Server | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= stopNodes({ dir, layouts, conn, processes, dns, apiProxy, before }));
  try {
    // This kernel has no dummy links: the addresses live on the pods' bridge, the pods' gateway
    // first (the bridge plugin checks only that one).
    await run('ip', ['link', 'add', BRIDGE_LINK, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${POD_GATEWAY}/16`, 'dev', BRIDGE_LINK]);
    for (const ip of [HOST_IP, KUBERNETES_SERVICE_IP, ...layouts.map((l) => l.ip)]) {
      await run('ip', ['addr', 'add', `${ip}/32`, 'dev', BRIDGE_LINK]);
    }
    await run('ip', ['link', 'set', BRIDGE_LINK, 'up']);
    dns = await startClusterDns(conn, HOST_IP);
    apiProxy = await startApiProxy(conn.server);
    for (const [i, layout] of layouts.entries()) {
      const spec = opts.nodes[i] ?? { name: layout.name };
      processes.push(...(await startNode(layout, spec, opts.cluster)));
    }
    await Promise.all(
      layouts.map((layout) =>
        pollUntil(() => nodeReady(conn, layout.name), {
          timeoutMs: opts.timeoutMs ?? 60_000,
          intervalMs: 200,
          description: `real node ${layout.name} Ready (see ${layout.dir}/logs/kubelet.log)`,
        }),
      ),
    );
    return {
      nodes: layouts.map((l) => ({ name: l.name, ip: l.ip })),
      hostIp: HOST_IP,
      podCidr: POD_SUBNET,
      dns,
      dir,
      stop,
    };
  } catch (err) {
    // The dir goes with stop(): keep the logs for the error.
    const logs = `${dir}-logs`;
    for (const layout of layouts) {
      await cp(join(layout.dir, 'logs'), join(logs, layout.name), { recursive: true }).catch(
        () => undefined,
      );
    }
    await stop().catch(() => undefined);
    throw new Error(`real nodes did not start (logs kept in ${logs})`, { cause: err });
  }
}

/**
 * The `kubernetes` Service for pods (in-cluster config: KUBERNETES_SERVICE_HOST:443), as
 * kube-proxy would serve it: a TCP relay on the Service's ClusterIP to the loopback apiserver.
 */
async function startApiProxy(server: string): Promise<Server> {
  const target = new URL(server);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  proxy.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(443, KUBERNETES_SERVICE_IP, () => resolve());
  });
  const close = proxy.close.bind(proxy);
  proxy.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return proxy;
}

/** containerd (images imported), then kubelet, of one node; @returns both processes. */
async function startNode(
  layout: RealNodeLayout,
  spec: RealNodeSpec,
  cluster: KubeCluster,
): Promise<ChildProcess[]> {
  const { dir } = layout;
  await Promise.all(
    ['containerd', 'cni/net.d', 'kubelet', 'pod-logs', 'logs'].map((d) =>
      mkdir(join(dir, d), { recursive: true }),
    ),
  );
  await writeFile(join(dir, 'containerd.toml'), containerdConfig(layout, PAUSE_IMAGE));
  await writeFile(join(dir, 'cni/net.d/10-lzy.conflist'), cniConfig(layout));
  await writeFile(join(dir, 'kubelet.yaml'), kubeletConfig(layout, HOST_IP));
  await createCgroupTree(layout.cgroupRoot);
  const containerd = spawnLogged(dir, 'containerd', '/usr/bin/containerd', [
    '--config',
    join(dir, 'containerd.toml'),
  ]);
  const ctr = ctrOf(layout);
  await pollUntil(
    () =>
      ctr(['version']).then(
        () => true,
        () => undefined,
      ),
    {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: `containerd of ${layout.name} answering (see ${dir}/logs/containerd.log)`,
    },
  );
  for (const archive of [join(realNodeCacheDir(), 'pause.tar'), ...(spec.imageArchives ?? [])]) {
    await ctr(['images', 'import', archive]);
  }
  const labels = Object.entries(spec.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const kubelet = spawnLogged(dir, 'kubelet', join(realNodeCacheDir(), 'bin', 'kubelet'), [
    `--config=${join(dir, 'kubelet.yaml')}`,
    `--kubeconfig=${cluster.kubeconfigPath}`,
    `--root-dir=${join(dir, 'kubelet')}`,
    `--node-ip=${layout.ip}`,
    `--hostname-override=${layout.name}`,
    ...(labels.length > 0 ? [`--node-labels=${labels.join(',')}`] : []),
    '--v=1',
  ]);
  return [containerd, kubelet];
}

async function nodeReady(conn: KubeConnection, name: string): Promise<true | undefined> {
  const node = (await kubeRequest(conn, 'GET', `/api/v1/nodes/${name}`).catch(() => undefined)) as
    NodeStatus | undefined;
  const ready = node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const tainted = node?.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/'));
  return ready === true && tainted !== true ? true : undefined;
}

interface NodeStatus {
  readonly spec?: { readonly taints?: readonly { readonly key: string }[] };
  readonly status?: { readonly conditions?: readonly { type: string; status: string }[] };
}

function spawnLogged(
  dir: string,
  name: string,
  bin: string,
  args: readonly string[],
): ChildProcess {
  const log = openSync(join(dir, 'logs', `${name}.log`), 'a');
  try {
    return spawn(bin, args, { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
}

function ctrOf(layout: RealNodeLayout): (args: readonly string[]) => Promise<string> {
  return async (args) => {
    const { stdout } = await run(
      'ctr',
      ['--address', containerdSocket(layout), '--namespace', 'k8s.io', ...args],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout;
  };
}

/** Admin connection of a kubeconfig written by adminKubeconfig (certificates embedded). */
async function connectionOf(kubeconfigPath: string): Promise<KubeConnection> {
  const text = await readFile(kubeconfigPath, 'utf8');
  const field = (key: string): string => {
    const value = new RegExp(`${key}: (\\S+)`).exec(text)?.[1];
    if (value === undefined) throw new Error(`${kubeconfigPath}: no ${key}`);
    return value;
  };
  const b64 = (key: string) => Buffer.from(field(key), 'base64').toString('utf8');
  return {
    server: field('server'),
    ca: b64('certificate-authority-data'),
    cert: b64('client-certificate-data'),
    key: b64('client-key-data'),
  };
}

interface StopState {
  readonly dir: string;
  readonly layouts: readonly RealNodeLayout[];
  readonly conn: KubeConnection;
  /** containerd, kubelet of each node, in order. */
  readonly processes: readonly ChildProcess[];
  readonly dns: ClusterDns | undefined;
  readonly apiProxy: Server | undefined;
  readonly before: Awaited<ReturnType<typeof snapshotHost>>;
}

async function stopNodes(state: StopState): Promise<void> {
  const { layouts, conn, processes } = state;
  // Pods first, through the kubelets: they stop the sandboxes, so CNI releases the addresses.
  const pods = (
    await Promise.all(
      layouts.map(async (l) => {
        const path = `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${l.name}`)}`;
        return ((await kubeRequest(conn, 'GET', path).catch(() => ({ items: [] }))) as PodList)
          .items;
      }),
    )
  ).flat();
  await Promise.all(
    pods.map((p) =>
      kubeRequest(
        conn,
        'DELETE',
        `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}?gracePeriodSeconds=0`,
      ).catch(() => undefined),
    ),
  );
  await Promise.all(
    layouts.map(async (layout, i) => {
      const [containerd, kubelet] = [processes[2 * i], processes[2 * i + 1]];
      await stopNode(layout, containerd, kubelet);
      await kubeRequest(conn, 'DELETE', `/api/v1/nodes/${layout.name}`).catch(() => undefined);
    }),
  );
  await state.dns?.stop();
  await new Promise<void>((resolve) =>
    state.apiProxy ? state.apiProxy.close(() => resolve()) : resolve(),
  );
  const problems = await restoreHost(state.before, {
    dir: state.dir,
    cgroupRoots: layouts.map((l) => l.cgroupRoot),
    links: [BRIDGE_LINK],
  });
  if (problems.length > 0) {
    throw new Error(`real nodes: host not fully restored:\n${problems.join('\n')}`);
  }
  await rm(state.dir, { recursive: true, force: true });
}

/** Waits (up to 30 s) for the kubelet to stop its pods, then stops it and its containerd. */
async function stopNode(
  layout: RealNodeLayout,
  containerd: ChildProcess | undefined,
  kubelet: ChildProcess | undefined,
): Promise<void> {
  const ctr = ctrOf(layout);
  const tasks = async (): Promise<string[]> =>
    (await ctr(['tasks', 'ls', '-q']).catch(() => '')).split('\n').filter((l) => l !== '');
  if (kubelet !== undefined && kubelet.exitCode === null) {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await tasks()).length > 0) await delay(250);
  }
  await terminate(kubelet, 5_000);
  // Whatever the kubelet left: kill and remove the tasks in containerd.
  for (const id of await tasks()) {
    await ctr(['tasks', 'kill', '--all', '--signal', 'SIGKILL', id]).catch(() => undefined);
  }
  for (const id of await tasks()) await ctr(['tasks', 'delete', '--force', id]).catch(() => '');
  await terminate(containerd, 5_000);
  await killShims(containerdSocket(layout));
}

interface PodList {
  readonly items: readonly { readonly metadata: { name: string; namespace: string } }[];
}

async function terminate(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Kills containerd shims of this node's containerd (they outlive it by design). */
async function killShims(socket: string): Promise<void> {
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('containerd-shim') && cmdline.includes(socket)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
