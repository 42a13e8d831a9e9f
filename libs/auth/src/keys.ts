import { createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { InvalidArgument } from '@lzy/errors';

const generateKeyPairAsync = promisify(generateKeyPair);

/** An RSA key pair as PEM text: what IAM stores (public) and what a principal signs with. */
export interface RsaKeyPair {
  /** SubjectPublicKeyInfo, `-----BEGIN PUBLIC KEY-----` (the form IAM credentials hold). */
  publicKeyPem: string;
  /** PKCS#8, `-----BEGIN PRIVATE KEY-----`. */
  privateKeyPem: string;
}

/** Generates a 2048-bit RSA key pair (the size of the pylzy tutorial's `openssl genrsa`). */
export async function generateRsaKeyPair(): Promise<RsaKeyPair> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/**
 * Parses an RSA private key in PEM: PKCS#1 (`BEGIN RSA PRIVATE KEY`, what `openssl genrsa` wrote
 * before OpenSSL 3) or PKCS#8 (`BEGIN PRIVATE KEY`).
 * @throws InvalidArgument if the text is not an unencrypted RSA private key.
 */
export function importPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new InvalidArgument('private key is not a PEM RSA private key (PKCS#1 or PKCS#8)', {
      cause,
    });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new InvalidArgument(`private key must be RSA, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}

/**
 * Parses an RSA public key in PEM: SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`, what users upload)
 * or PKCS#1 (`BEGIN RSA PUBLIC KEY`). A private key is refused even though Node could derive the
 * public half: it must never be stored as a credential.
 * @throws InvalidArgument if the text is not an RSA public key.
 */
export function importPublicKey(pem: string): KeyObject {
  if (pem.includes('PRIVATE KEY')) {
    throw new InvalidArgument(
      'expected a PEM public key, got a private key: upload the public half only',
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new InvalidArgument(
      'public key is not a PEM RSA public key (-----BEGIN PUBLIC KEY-----)',
      { cause },
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new InvalidArgument(`public key must be RSA, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  return key;
}
