import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

/** A client of one cluster. */
export interface KubeCluster {
  readonly config: KubeConfig;
  readonly core: CoreV1Api;
}

/**
 * A cluster from its kubeconfig file (its current context), or the in-cluster service account
 * when `kubeconfigPath` is undefined (the allocator runs in a pod of that cluster).
 * @throws Error when neither is available.
 */
export function connectCluster(kubeconfigPath: string | undefined, what: string): KubeCluster {
  const config = new KubeConfig();
  if (kubeconfigPath === undefined) {
    try {
      config.loadFromCluster();
    } catch (err) {
      throw new Error(
        `No kubeconfig for the ${what} cluster and not running in a pod; set its kubeconfig`,
        { cause: err },
      );
    }
  } else {
    config.loadFromFile(kubeconfigPath);
  }
  return { config, core: config.makeApiClient(CoreV1Api) };
}

/** The HTTP status of a Kubernetes API error, if it is one. */
export function kubeStatusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/**
 * The API server's own message (Status.message) of a failed call, else the error's message: what
 * goes into a failed allocation.
 */
export function kubeErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    const parsed = typeof body === 'string' ? safeJson(body) : body;
    if (parsed !== null && typeof parsed === 'object' && 'message' in parsed) {
      return `${String(parsed.message)} (HTTP ${err.code})`;
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Runs `call`, treating the HTTP statuses in `ok` (e.g. 404 on delete) as success. */
export async function ignoring(ok: readonly number[], call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    const status = kubeStatusOf(err);
    if (status === undefined || !ok.includes(status)) throw err;
  }
}
