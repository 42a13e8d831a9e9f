/** Paths and addresses of one real test node (all files under `dir`). */
export interface RealNodeLayout {
  readonly name: string;
  readonly dir: string;
  /** The node's InternalIP: on the bridge, not loopback (kubelet refuses loopback). */
  readonly ip: string;
  /** The pods' network, shared by every node on the bridge, and its gateway (the bridge). */
  readonly podSubnet: string;
  readonly podGateway: string;
  /** This node's share of podSubnet: `[first, last]` address. */
  readonly podRange: readonly [string, string];
  readonly bridge: string;
  readonly kubeletPort: number;
  readonly kubeletHealthzPort: number;
  /** kubelet's cgroupRoot: every pod cgroup lives under it (removed on stop). */
  readonly cgroupRoot: string;
}

export function containerdSocket(node: RealNodeLayout): string {
  return `${node.dir}/containerd/containerd.sock`;
}

/**
 * containerd (Debian's 1.6) with the CRI settings this machine needs (shared/TOOLCHAIN.md):
 * runc with cgroupfs, restrict_oom_score_adj (no CAP_SYS_RESOURCE), everything (state, network
 * namespaces, CNI config) under the node's dir.
 */
export function containerdConfig(node: RealNodeLayout, pauseImage: string): string {
  const d = `${node.dir}/containerd`;
  const cri = '[plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${d}/root"
state = "${d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "${containerdSocket(node)}"
[ttrpc]
  address = "${containerdSocket(node)}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${d}/opt"
${cri}]
  sandbox_image = "${pauseImage}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
${cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "${node.dir}/cni/net.d"
`;
}

/** The bridge network of the node's pods (Debian's containernetworking-plugins). */
export function cniConfig(node: RealNodeLayout): string {
  return `${JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: `lzy-${node.name}`,
      plugins: [
        {
          type: 'bridge',
          bridge: node.bridge,
          isGateway: true,
          // Pods reach the package registries (workers build Python environments) through it.
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [
              [
                {
                  subnet: node.podSubnet,
                  rangeStart: node.podRange[0],
                  rangeEnd: node.podRange[1],
                  gateway: node.podGateway,
                },
              ],
            ],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: `${node.dir}/cni/ipam`,
          },
        },
      ],
    },
    null,
    2,
  )}\n`;
}

/**
 * KubeletConfiguration: cgroupfs on the host's cgroup v1 (failCgroupV1: false), the node's own
 * ports and addresses, anonymous AlwaysAllow on its API (the apiserver reaches it for logs/exec
 * without a client certificate; test clusters only), the harness's cluster DNS, loose eviction
 * thresholds (a shared development disk), pod logs under the node's dir.
 */
export function kubeletConfig(node: RealNodeLayout, clusterDns: string): string {
  return `${JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: node.ip,
      port: node.kubeletPort,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: node.kubeletHealthzPort,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: node.cgroupRoot,
      failCgroupV1: false,
      failSwapOn: false,
      containerRuntimeEndpoint: `unix://${containerdSocket(node)}`,
      authentication: {
        anonymous: { enabled: true },
        webhook: { enabled: false },
      },
      authorization: { mode: 'AlwaysAllow' },
      clusterDNS: [clusterDns],
      clusterDomain: 'cluster.local',
      podLogsDir: `${node.dir}/pod-logs`,
      evictionHard: {
        'memory.available': '100Mi',
        'nodefs.available': '1%',
        'imagefs.available': '1%',
        'nodefs.inodesFree': '1%',
      },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      serializeImagePulls: false,
      registerNode: true,
      nodeStatusUpdateFrequency: '2s',
      syncFrequency: '5s',
      fileCheckFrequency: '5s',
    },
    null,
    2,
  )}\n`;
}
