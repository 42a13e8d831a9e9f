/**
 * What the local backend writes to a standby VM process's stdin (then closes it) to make it one
 * VM: its whole environment (id, one-time token and key included), the main's arguments and its
 * scratch directory. JSON, one message per process, never repeated: a standby becomes exactly one
 * VM and never goes back.
 */
export interface VmHandOver {
  /** The VM's environment, exactly what a VM process started directly gets. */
  readonly env: Readonly<Record<string, string>>;
  /** Arguments of the main (the workload's args). */
  readonly args: readonly string[];
  /**
   * The VM's scratch directory (its TMPDIR). The standby keeps it open for its whole life: that
   * fd names the VM to a restarted allocator, since the VM's /proc environ is the standby's.
   */
  readonly scratchDir: string;
}

export function encodeHandOver(handOver: VmHandOver): string {
  return JSON.stringify(handOver);
}

/** @throws Error when `text` is not a hand-over message. */
export function parseHandOver(text: string): VmHandOver {
  const value = JSON.parse(text) as Partial<Record<keyof VmHandOver, unknown>>;
  const { env, args, scratchDir } = value;
  const isStringRecord =
    typeof env === 'object' &&
    env !== null &&
    Object.values(env).every((v) => typeof v === 'string');
  if (
    !isStringRecord ||
    !Array.isArray(args) ||
    !args.every((a) => typeof a === 'string') ||
    typeof scratchDir !== 'string'
  ) {
    throw new Error('not a VM hand-over message');
  }
  return { env: env as Record<string, string>, args, scratchDir };
}

/**
 * The VM id whose scratch directory `path` is (`<base>/lzy-vm-<id>`), if it is one; the local
 * backend names scratch directories so (scratchDirOf).
 */
export function vmIdOfScratchDir(base: string, path: string): string | undefined {
  const prefix = `${base.replace(/\/+$/, '')}/lzy-vm-`;
  if (!path.startsWith(prefix)) return undefined;
  const id = path.slice(prefix.length);
  return id === '' || id.includes('/') ? undefined : id;
}
