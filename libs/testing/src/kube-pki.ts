import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files of one cluster's PKI (all PEM, in one directory). */
export interface KubePki {
  readonly caCert: string;
  readonly caKey: string;
  /** kube-apiserver serving certificate: SAN 127.0.0.1, localhost, kubernetes.default.svc… */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Admin client certificate: CN=lzy-test-admin, O=system:masters. */
  readonly adminCert: string;
  readonly adminKey: string;
  /** Service-account token signing key pair. */
  readonly saKey: string;
  readonly saPub: string;
}

// Our own config file: the system openssl.cnf would add CA:TRUE to every `req -x509` cert.
const OPENSSL_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:198.19.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a CA, the apiserver serving cert, the admin client cert and the SA key pair (~0.1 s). */
export async function makeKubePki(dir: string): Promise<KubePki> {
  const f = (name: string): string => join(dir, name);
  const pki: KubePki = {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    saKey: f('sa.key'),
    saPub: f('sa.pub'),
  };
  const cnf = f('openssl.cnf');
  await writeFile(cnf, OPENSSL_CNF);
  const req = ['req', '-x509', '-config', cnf, '-days', '3650', ...EC];
  const saKey = run('openssl', [
    'ecparam',
    '-name',
    'prime256v1',
    '-genkey',
    '-noout',
    '-out',
    pki.saKey,
  ]).then(() => run('openssl', ['ec', '-in', pki.saKey, '-pubout', '-out', pki.saPub]));
  await run('openssl', [
    ...req,
    '-extensions',
    'ca',
    '-subj',
    '/CN=lzy-test-ca',
    '-keyout',
    pki.caKey,
    '-out',
    pki.caCert,
  ]);
  const signed = ['-CA', pki.caCert, '-CAkey', pki.caKey];
  await Promise.all([
    saKey,
    run('openssl', [
      ...req,
      ...signed,
      '-extensions',
      'server',
      '-subj',
      '/CN=kube-apiserver',
      '-keyout',
      pki.serverKey,
      '-out',
      pki.serverCert,
    ]),
    run('openssl', [
      ...req,
      ...signed,
      '-extensions',
      'client',
      '-subj',
      '/O=system:masters/CN=lzy-test-admin',
      '-keyout',
      pki.adminKey,
      '-out',
      pki.adminCert,
    ]),
  ]);
  return pki;
}

/** A self-contained admin kubeconfig (certificates embedded) for `server`. */
export async function adminKubeconfig(pki: KubePki, server: string, name: string): Promise<string> {
  const b64 = async (path: string): Promise<string> => (await readFile(path)).toString('base64');
  const [ca, cert, key] = await Promise.all([
    b64(pki.caCert),
    b64(pki.adminCert),
    b64(pki.adminKey),
  ]);
  return `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: ${server}
    certificate-authority-data: ${ca}
users:
- name: ${name}-admin
  user:
    client-certificate-data: ${cert}
    client-key-data: ${key}
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: ${name}-admin
current-context: ${name}
`;
}
