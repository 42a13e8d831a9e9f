import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The versions scripts/k8s/build.sh builds; its cache dir is named after them (keep in sync). */
export const K8S_VERSION = '1.37.2';
export const K8S_TOOLS_TAG = `${K8S_VERSION}-etcd3.6.8-kwok0.8.0-helm3.22.0-tofu1.12.6`;

/** Absolute paths of the cached control-plane tools (scripts/k8s/build.sh). */
export interface KubeTools {
  readonly kubectl: string;
  readonly helm: string;
  /** OpenTofu 1.12.6 (or a link to /usr/local/bin/terraform when tofu could not be built). */
  readonly tofu: string;
  /** TF_CLI_CONFIG_FILE: installs the kubernetes and helm providers from the local mirror. */
  readonly tofuCliConfigPath: string;
  /** Holds etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kwok too. */
  readonly binDir: string;
}

/** `${XDG_CACHE_HOME:-~/.cache}/lzy-ts/k8s-<tag>`: where build.sh leaves a complete build. */
export function kubeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(cacheHome, 'lzy-ts', `k8s-${K8S_TOOLS_TAG}`);
}

/** The tools of a complete build; throws "… run bash scripts/k8s/build.sh" when missing. */
export function kubeTools(env: NodeJS.ProcessEnv = process.env): KubeTools {
  const dir = kubeCacheDir(env);
  const binDir = join(dir, 'bin');
  try {
    // build.sh renames the directory into place only when every tool is built.
    accessSync(join(dir, '.complete'), constants.R_OK);
  } catch (err) {
    throw new Error(
      `Kubernetes test binaries missing: run bash scripts/k8s/build.sh (not found: ${dir})`,
      { cause: err },
    );
  }
  return {
    kubectl: join(binDir, 'kubectl'),
    helm: join(binDir, 'helm'),
    tofu: join(binDir, 'tofu'),
    tofuCliConfigPath: join(dir, 'tofu.tfrc'),
    binDir,
  };
}
