import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, readlink, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What a real kubelet + containerd + bridge CNI change on the host, recorded before the node starts
 * so {@link restoreHost} can put it back: kernel tunables the kubelet sets, iptables rules and
 * chains (kubelet canaries, CNI masquerading), mounts, and the network links.
 */
export interface HostSnapshot {
  readonly sysctls: ReadonlyMap<string, string>;
  /** `iptables-save` / `ip6tables-save` lines (chains and rules) per `<command> <table>`. */
  readonly iptables: ReadonlyMap<string, ReadonlySet<string>>;
  readonly mounts: ReadonlySet<string>;
}

/** Tunables kubelet sets at start (protectKernelDefaults: false) and the CNI bridge may set. */
const SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
];
const IPTABLES = ['iptables', 'ip6tables'] as const;
const TABLES = ['filter', 'nat', 'mangle'] as const;
/** Only rules and chains of Kubernetes and CNI are ever removed: others may change meanwhile. */
const OURS = /\b(KUBE-|CNI-)/;

async function readSysctl(name: string): Promise<string | undefined> {
  try {
    return (await readFile(join('/proc/sys', name), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function iptablesLines(command: string, table: string): Promise<string[]> {
  try {
    const { stdout } = await run(`${command}-save`, ['-t', table]);
    return stdout
      .split('\n')
      .filter((l) => l.startsWith(':') || l.startsWith('-A '))
      .map((l) => (l.startsWith(':') ? (l.split(' ')[0] ?? l) : l));
  } catch {
    return [];
  }
}

async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '));
}

export async function snapshotHost(): Promise<HostSnapshot> {
  const sysctls = new Map<string, string>();
  for (const name of SYSCTLS) {
    const value = await readSysctl(name);
    if (value !== undefined) sysctls.set(name, value);
  }
  const iptables = new Map<string, ReadonlySet<string>>();
  for (const command of IPTABLES) {
    for (const table of TABLES) {
      iptables.set(`${command} ${table}`, new Set(await iptablesLines(command, table)));
    }
  }
  return { sysctls, iptables, mounts: new Set(await mountPoints()) };
}

/** Splits an iptables-save rule into arguments (double quotes group words, as the shell would). */
function ruleArgs(line: string): string[] {
  const args: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    args.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? ''));
  }
  return args;
}

export interface RestoreOptions {
  /** Unmount what was mounted under this directory since the snapshot. */
  readonly dir: string;
  /** Remove these cgroups (kubelets' cgroupRoot, e.g. `/lzy-node`) in every hierarchy. */
  readonly cgroupRoots: readonly string[];
  /** Delete these network links if they exist. */
  readonly links: readonly string[];
}

/**
 * Puts the host back as {@link snapshotHost} found it: unmounts new mounts under `dir`, removes
 * the cgroup tree, deletes the links, removes Kubernetes/CNI iptables rules and chains that were
 * not there, restores the tunables. Best effort per item; @returns what could not be undone.
 */
export async function restoreHost(before: HostSnapshot, opts: RestoreOptions): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const newMounts = (await mountPoints())
    .filter((m) => !before.mounts.has(m) && (m === opts.dir || m.startsWith(`${opts.dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const mount of newMounts)
    await attempt(`umount ${mount}`, () => run('umount', ['-l', mount]));

  for (const root of opts.cgroupRoots) {
    await attempt(`cgroup ${root}`, () => removeCgroupTree(root));
  }
  for (const link of opts.links) {
    await attempt(`ip link del ${link}`, async () => {
      const { stdout } = await run('ip', ['-o', 'link', 'show']);
      if (stdout.includes(` ${link}:`) || stdout.includes(` ${link}@`)) {
        await run('ip', ['link', 'del', link]);
      }
    });
  }

  for (const command of IPTABLES) {
    for (const table of TABLES) {
      const had = before.iptables.get(`${command} ${table}`) ?? new Set<string>();
      const now = await iptablesLines(command, table);
      const rules = now.filter((l) => l.startsWith('-A ') && !had.has(l) && OURS.test(l));
      for (const rule of rules) {
        const args = ruleArgs(rule).slice(1);
        await attempt(`${command} -t ${table} -D ${args.join(' ')}`, () =>
          run(command, ['-w', '-t', table, '-D', ...args]),
        );
      }
      const chains = now
        .filter((l) => l.startsWith(':') && !had.has(l) && OURS.test(l))
        .map((l) => l.slice(1));
      for (const chain of chains) {
        await attempt(`${command} -t ${table} -F ${chain}`, () =>
          run(command, ['-w', '-t', table, '-F', chain]),
        );
      }
      for (const chain of chains) {
        await attempt(`${command} -t ${table} -X ${chain}`, () =>
          run(command, ['-w', '-t', table, '-X', chain]),
        );
      }
      // iptables-nft made the table itself (it did not exist): drop it again once it is empty.
      if (
        had.size === 0 &&
        !(await iptablesLines(command, table)).some((l) => l.startsWith('-A'))
      ) {
        const family = command === 'iptables' ? 'ip' : 'ip6';
        await run('nft', ['delete', 'table', family, table]).catch(() => undefined);
      }
    }
  }

  for (const [name, value] of before.sysctls) {
    if ((await readSysctl(name)) !== value) {
      await attempt(`sysctl ${name}`, () => writeFile(join('/proc/sys', name), value));
    }
  }
  await attempt('/var/log/containers', () => removeLinksInto('/var/log/containers', opts.dir));
  return problems;
}

/**
 * Creates `<hierarchy>/<root>` in every mounted cgroup v1 hierarchy (kubelet requires its
 * cgroupRoot to exist); cpuset gets its parent's CPUs and memory nodes, as a new cpuset needs.
 */
export async function createCgroupTree(root: string): Promise<void> {
  const base = '/sys/fs/cgroup';
  for (const e of await readdir(base, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const dir = join(base, e.name, root);
    await mkdir(dir, { recursive: true });
    if (e.name === 'cpuset') {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        const value = await readFile(join(base, e.name, file), 'utf8');
        await writeFile(join(dir, file), value.trim());
      }
    }
  }
}

/** rmdir `<hierarchy>/<root>` depth-first in every mounted cgroup v1 hierarchy (and v2). */
async function removeCgroupTree(root: string): Promise<void> {
  if (!/^\/[\w.-]+$/.test(root)) throw new Error(`refusing to remove cgroup '${root}'`);
  const base = '/sys/fs/cgroup';
  const hierarchies = (await readdir(base, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => join(base, e.name));
  for (const top of [base, ...hierarchies]) {
    const tree = join(top, root);
    const dirs: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      dirs.push(dir);
      for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name));
    };
    await walk(tree);
    for (const dir of dirs.reverse()) await rmdir(dir);
  }
}

/** Removes the symlinks in `dir` that point into `target` (kubelet's /var/log/containers). */
async function removeLinksInto(dir: string, target: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    const to = await readlink(path).catch(() => '');
    if (to.startsWith(`${target}/`)) await rm(path, { force: true });
  }
}
