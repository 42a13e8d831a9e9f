/** Issues and revokes the IAM identity of a VM (subject `vm-<vmId>`, type VM, provider INTERNAL). */
export interface VmIdentityIssuer {
  /**
   * Creates the VM's subject with a fresh RSA public key and returns the private half, which the
   * VM gets as LZY_VM_PRIVATE_KEY. Idempotent per vmId (a retry replaces nothing it must keep).
   * @throws Unavailable when IAM cannot be reached.
   */
  issue(vmId: string): Promise<{ privateKeyPem: string }>;
  /** Removes the VM's subject. Idempotent: an unknown subject is fine. */
  revoke(vmId: string): Promise<void>;
}

/** How a VM process ended (exactly one of code/signal is set, as Node's 'exit' event). */
export interface VmExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** What the backend needs to start a VM. */
export interface VmLaunch {
  readonly vmId: string;
  /** Entry point (a main.ts) and its arguments. */
  readonly mainPath: string;
  readonly args: readonly string[];
  /** The VM's environment on top of the backend's inherited one. */
  readonly env: Readonly<Record<string, string>>;
}

/** Where VMs run: local child processes here; Kubernetes pods later. */
export interface VmBackend {
  /**
   * Starts the VM; resolves once it is started (not registered).
   * @returns the process id (local backend), for operators.
   */
  start(launch: VmLaunch): Promise<{ pid: number | undefined }>;
  /** Stops the VM (SIGTERM, SIGKILL after a grace) and resolves once it is gone. Idempotent. */
  kill(vmId: string): Promise<void>;
  /**
   * Calls `listener` when a VM ends by itself (not through kill/stopAll). Push from the child's
   * 'exit' event. Returns unsubscribe.
   */
  onExit(listener: (vmId: string, exit: VmExit) => void): () => void;
  /** Ids of the VMs running now. */
  running(): string[];
  /** Kills every VM and waits for them. Idempotent. */
  stopAll(): Promise<void>;
}
