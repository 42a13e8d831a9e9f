import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { kubeRequest, type KubeConnection } from './kube-http.ts';

/**
 * The cluster DNS of a test cluster with a real node (what CoreDNS + kube-proxy do in a real
 * cluster, in one small UDP server): `<service>.<namespace>.svc.cluster.local` answers with the
 * IPv4 addresses of the Service's endpoints (EndpointSlices, ready or not: there is no kube-proxy,
 * so pods reach endpoints directly), `<pod-ip-dashed>.<namespace>.pod.cluster.local` with that
 * address; other names are forwarded to the host's resolver, so pods reach the package registries.
 */
export interface ClusterDns {
  /** The address the DNS server listens on (port 53). */
  readonly address: string;
  /** Endpoint addresses of `<service>.<namespace>` (what the DNS answers), for host-side clients. */
  resolveService(service: string, namespace: string): Promise<string[]>;
  stop(): Promise<void>;
}

const DOMAIN = 'svc.cluster.local';
const TYPE_A = 1;

interface EndpointSliceList {
  readonly items: readonly {
    readonly endpoints?: readonly { readonly addresses: readonly string[] }[];
  }[];
}

/** Starts the DNS server on `address`:53 (UDP). */
export async function startClusterDns(conn: KubeConnection, address: string): Promise<ClusterDns> {
  const upstream = await hostNameserver();
  const socket = createSocket('udp4');
  const resolveService = async (service: string, namespace: string): Promise<string[]> => {
    const path =
      `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices` +
      `?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${service}`)}`;
    try {
      const list = (await kubeRequest(conn, 'GET', path)) as EndpointSliceList;
      const addresses = list.items.flatMap((s) => s.endpoints ?? []).flatMap((e) => e.addresses);
      return [...new Set(addresses.filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)))];
    } catch {
      return [];
    }
  };
  socket.on('message', (query, peer) => {
    void answer(query, resolveService, upstream).then((reply) => {
      if (reply !== undefined) socket.send(reply, peer.port, peer.address);
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(53, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => undefined);
  return {
    address,
    resolveService,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

async function hostNameserver(): Promise<string | undefined> {
  try {
    const text = await readFile('/etc/resolv.conf', 'utf8');
    return /^nameserver\s+(\d+\.\d+\.\d+\.\d+)/m.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

interface Question {
  readonly name: string;
  readonly type: number;
  /** Offset of the first byte after the question section. */
  readonly end: number;
}

function parseQuestion(query: Buffer): Question | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  while (offset < query.length) {
    const length = query[offset] ?? 0;
    offset += 1;
    if (length === 0) break;
    if (length > 63) return undefined; // no compression in questions
    labels.push(
      query
        .subarray(offset, offset + length)
        .toString('ascii')
        .toLowerCase(),
    );
    offset += length;
  }
  if (offset + 4 > query.length) return undefined;
  return { name: labels.join('.'), type: query.readUInt16BE(offset), end: offset + 4 };
}

/** The reply to `query`, or undefined to stay silent (unparsable, upstream gone). */
async function answer(
  query: Buffer,
  resolveService: (service: string, namespace: string) => Promise<string[]>,
  upstream: string | undefined,
): Promise<Buffer | undefined> {
  const question = parseQuestion(query);
  if (question === undefined) return undefined;
  const { name } = question;
  if (!name.endsWith('.cluster.local') && name !== 'cluster.local') {
    return upstream === undefined ? reply(query, question, 2, []) : forward(query, upstream);
  }
  const parts = name.split('.');
  let addresses: string[] = [];
  if (name.endsWith(`.${DOMAIN}`) && parts.length === 5) {
    addresses = await resolveService(parts[0] ?? '', parts[1] ?? '');
  } else if (name.endsWith('.pod.cluster.local') && parts.length === 5) {
    const ip = (parts[0] ?? '').replaceAll('-', '.');
    if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) addresses = [ip];
  }
  if (addresses.length === 0) return reply(query, question, 3, []); // NXDOMAIN
  return reply(query, question, 0, question.type === TYPE_A ? addresses : []);
}

/** A response with the question echoed and A records for `addresses` (TTL 5 s). */
function reply(query: Buffer, question: Question, rcode: number, addresses: string[]): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  const rd = (query[2] ?? 0) & 0x01;
  header[2] = 0x84 | rd; // QR, AA, RD echoed
  header[3] = 0x80 | rcode; // RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const records = addresses.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(5, 6);
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
    return rr;
  });
  return Buffer.concat([header, query.subarray(12, question.end), ...records]);
}

function forward(query: Buffer, upstream: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket: Socket = createSocket('udp4');
    const done = (value: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), 5_000);
    socket.on('error', () => done(undefined));
    socket.on('message', (message) => done(message));
    socket.send(query, 53, upstream);
  });
}
