import { readFile, readdir, readlink } from 'node:fs/promises';

/** One live (not zombie) process as Linux's /proc shows it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** argv joined with spaces. */
  cmdline: string;
}

async function readProcess(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid …`; comm may hold spaces and parentheses: split after the last `)`.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') return undefined;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
    return { pid, ppid: Number(ppid), cmdline };
  } catch {
    return undefined; // exited while we looked
  }
}

/** Every live process of the machine (that we may read). */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const all = await Promise.all(pids.map(readProcess));
  return all.filter((p): p is ProcessInfo => p !== undefined);
}

/** Live processes whose command line contains `marker`. */
export async function processesWith(marker: string): Promise<ProcessInfo[]> {
  return (await listProcesses()).filter((p) => p.cmdline.includes(marker));
}

/** Live children of `ppid` whose command line contains `marker`. */
export async function childrenWith(ppid: number, marker: string): Promise<ProcessInfo[]> {
  return (await listProcesses()).filter((p) => p.ppid === ppid && p.cmdline.includes(marker));
}

/** `root` and all its live descendants. */
export async function processTree(root: number): Promise<ProcessInfo[]> {
  const all = await listProcesses();
  const tree = all.filter((p) => p.pid === root);
  for (let i = 0; i < tree.length; i++) {
    const parent = tree[i]!.pid;
    tree.push(...all.filter((p) => p.ppid === parent));
  }
  return tree;
}

/** True if the process exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  return (await readProcess(pid)) !== undefined;
}

/** The value of `name` in the environment of `pid`, if readable. */
export async function environOf(pid: number, name: string): Promise<string | undefined> {
  try {
    const entries = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    const entry = entries.find((e) => e.startsWith(`${name}=`));
    return entry?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}

/**
 * The VM a worker or portal process runs as: LZY_VM_ID of a process started as that VM, else
 * the scratch directory (`…/lzy-vm-<id>`) that a standby made a VM holds open; undefined for a
 * standby not handed a VM yet (the allocator's local backend, vm-standbys.ts).
 */
export async function vmIdOf(pid: number): Promise<string | undefined> {
  const fromEnviron = await environOf(pid, 'LZY_VM_ID');
  if (fromEnviron !== undefined) return fromEnviron;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /\/lzy-vm-([^/]+)$/.exec(target);
    if (match !== null) return match[1];
  }
  return undefined;
}

/** Live children of `ppid` running `main` that are VMs (not standbys), with their VM ids. */
export async function vmProcessesWith(
  ppid: number,
  main: string,
): Promise<Array<ProcessInfo & { vmId: string }>> {
  const vms: Array<ProcessInfo & { vmId: string }> = [];
  for (const p of await childrenWith(ppid, main)) {
    const vmId = await vmIdOf(p.pid);
    if (vmId !== undefined) vms.push({ ...p, vmId });
  }
  return vms;
}
