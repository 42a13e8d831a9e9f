import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateRsaKeyPair } from '@lzy/auth';

/** An RSA key pair kept as `<name>.pem` (private, mode 0600) and `<name>.pub.pem` in `dir`. */
export interface StoredKeyPair {
  privateKeyPath: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

/** Loads the key pair `name` from `dir`, creating it on first use. */
export async function loadOrCreateKeyPair(dir: string, name: string): Promise<StoredKeyPair> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKeyPath = join(dir, `${name}.pem`);
  const publicKeyPath = join(dir, `${name}.pub.pem`);
  if (!existsSync(privateKeyPath) || !existsSync(publicKeyPath)) {
    const pair = await generateRsaKeyPair();
    await writeFile(privateKeyPath, pair.privateKeyPem, { mode: 0o600 });
    await writeFile(publicKeyPath, pair.publicKeyPem, { mode: 0o644 });
  }
  return {
    privateKeyPath,
    privateKeyPem: await readFile(privateKeyPath, 'utf8'),
    publicKeyPem: await readFile(publicKeyPath, 'utf8'),
  };
}

/** The local S3 server's access key, made once and kept so stored clients keep working. */
export async function loadOrCreateS3Credentials(
  path: string,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  if (existsSync(path)) {
    return JSON.parse(await readFile(path, 'utf8')) as {
      accessKeyId: string;
      secretAccessKey: string;
    };
  }
  const credentials = {
    accessKeyId: `lzy${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
  await writeFile(path, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

/** What SDKs and the CLI read to reach the local suite (`$LZY_HOME/client.json`). */
export interface ClientConfig {
  endpoint: string;
  whiteboardEndpoint: string;
  user: string;
  keyPath: string;
}

export async function writeClientConfig(home: string, config: ClientConfig): Promise<string> {
  const path = join(home, 'client.json');
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return path;
}
