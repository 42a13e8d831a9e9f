import { BlockList, isIP } from 'node:net';
import { InvalidArgument, PermissionDenied } from '@lzy/errors';
import { quoted } from './input-limits.ts';

/** Resolves a host name to every address it has (port; `dns.lookup(all)` in production). */
export type ResolveHost = (host: string) => Promise<string[]>;

export interface EndpointPolicyDeps {
  resolveHost: ResolveHost;
  /**
   * Origins of the installation's own S3 (LZY_S3_ENDPOINT, LZY_S3_PUBLIC_ENDPOINT): allowed as
   * they are, wherever they point (the local suite's versitygw is on loopback).
   */
  trustedEndpoints: readonly string[];
  /** CIDRs the operator lets users' endpoints reach although private (LZY_USER_S3_ALLOWED_NETWORKS). */
  allowedNetworks: readonly string[];
}

/**
 * Where the services must not be sent by a user: loopback, link-local (cloud metadata at
 * 169.254.169.254, fd00:ec2::254 is in fc00::/7), private and carrier-grade NAT ranges (cluster
 * pods and services), multicast, reserved and documentation ranges, and IPv6 forms that embed an
 * IPv4 address (NAT64, 6to4, Teredo). IPv4-mapped IPv6 (::ffff:a.b.c.d) is matched as IPv4.
 */
const DENIED: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.88.99.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'], // multicast, reserved, broadcast
  ['168.63.129.16', 32, 'ipv4'], // Azure's host metadata and DNS
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
  ['64:ff9b:1::', 48, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001::', 32, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['2002::', 16, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['fec0::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

/** What the portal connects to for a user's endpoint, once it is allowed. */
export interface CheckedEndpoint {
  /**
   * The endpoint with its host replaced by the address that was checked, for plain-http names
   * (so a second DNS answer cannot move the portal elsewhere: DNS rebinding); the endpoint as
   * given for https (TLS verifies the name, so a rebound name fails the handshake), IP literals,
   * trusted endpoints and '' (AWS).
   */
  portalEndpoint: string;
}

function ipFamily(address: string): 'ipv4' | 'ipv6' | undefined {
  const family = isIP(address);
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
}

/**
 * The allow-list of S3 endpoints users may give in StartWorkflow's snapshotStorage (issue 13
 * item 7: the portal in the system cluster fetched any URL). Names are resolved and every
 * address checked, so a name cannot smuggle a private address in.
 */
export class EndpointPolicy {
  readonly #resolveHost: ResolveHost;
  readonly #trusted: ReadonlySet<string>;
  readonly #denied = new BlockList();
  readonly #allowed = new BlockList();

  /** @throws Error for an allowed network that is not `address/prefix` or an address. */
  constructor(deps: EndpointPolicyDeps) {
    this.#resolveHost = deps.resolveHost;
    this.#trusted = new Set(
      deps.trustedEndpoints.filter((e) => e !== '').map((e) => new URL(e).origin),
    );
    for (const [address, prefix, family] of DENIED) this.#denied.addSubnet(address, prefix, family);
    for (const network of deps.allowedNetworks) {
      const [address = '', prefix] = network.split('/');
      const family = ipFamily(address);
      if (family === undefined) throw new Error(`not a network: ${JSON.stringify(network)}`);
      const bits = prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix);
      this.#allowed.addSubnet(address, bits, family);
    }
  }

  /**
   * Checks a user's S3 endpoint ('' = AWS's public endpoint).
   * @throws InvalidArgument for a malformed URL or a name that does not resolve;
   *   PermissionDenied when it is or resolves to an address users may not reach
   */
  async check(endpoint: string): Promise<CheckedEndpoint> {
    if (endpoint === '') return { portalEndpoint: '' };
    const url = parseEndpoint(endpoint);
    if (this.#trusted.has(url.origin)) return { portalEndpoint: endpoint };
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const literal = ipFamily(host) !== undefined;
    const addresses = literal ? [host] : await this.#resolve(host, endpoint);
    for (const address of addresses) this.#checkAddress(address, endpoint);
    if (literal || url.protocol === 'https:') return { portalEndpoint: endpoint };
    const first = addresses[0] ?? host;
    const pinned = new URL(url.href);
    pinned.hostname = ipFamily(first) === 'ipv6' ? `[${first}]` : first;
    // URL keeps a path of '/' for an endpoint given without one; give it back as it came.
    const text = pinned.href;
    return { portalEndpoint: endpoint.endsWith('/') ? text : text.replace(/\/$/, '') };
  }

  async #resolve(host: string, endpoint: string): Promise<string[]> {
    let addresses: string[];
    try {
      addresses = await this.#resolveHost(host);
    } catch (err) {
      throw new InvalidArgument(`S3 endpoint ${quoted(endpoint)}: host ${host} does not resolve`, {
        cause: err,
      });
    }
    if (addresses.length === 0) {
      throw new InvalidArgument(`S3 endpoint ${quoted(endpoint)}: host ${host} has no address`);
    }
    return addresses;
  }

  #checkAddress(address: string, endpoint: string): void {
    const family = ipFamily(address);
    if (family === undefined) {
      throw new InvalidArgument(`S3 endpoint ${quoted(endpoint)} resolved to ${address}`);
    }
    if (this.#allowed.check(address, family) || !this.#denied.check(address, family)) return;
    throw new PermissionDenied(
      `S3 endpoint ${quoted(endpoint)} reaches ${address}, a loopback, private, link-local or reserved address the services may not be sent to; use a public endpoint, or ask the operator to allow its network (LZY_USER_S3_ALLOWED_NETWORKS)`,
    );
  }
}

/** @throws InvalidArgument unless `endpoint` is an http(s) URL without credentials or query. */
function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (err) {
    throw new InvalidArgument(`S3 endpoint ${quoted(endpoint)} is not a URL`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgument(`S3 endpoint ${quoted(endpoint)} must be an http:// or https:// URL`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new InvalidArgument(
      `S3 endpoint ${quoted(endpoint)} may not carry user info, a query or a fragment`,
    );
  }
  return url;
}
