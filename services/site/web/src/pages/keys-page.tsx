import { useCallback, useEffect, useState } from 'react';
import type { KeyDto } from '../../../src/api/types.ts';
import { api } from '../api.ts';
import { formatTime } from '../format.ts';

function pem(label: string, der: ArrayBuffer): string {
  const base64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A 2048-bit RSA pair made in this browser; the private half never leaves it except as a download. */
async function generatePair(): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  const pair = await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const [spki, pkcs8] = await Promise.all([
    crypto.subtle.exportKey('spki', pair.publicKey),
    crypto.subtle.exportKey('pkcs8', pair.privateKey),
  ]);
  return { publicKeyPem: pem('PUBLIC KEY', spki), privateKeyPem: pem('PRIVATE KEY', pkcs8) };
}

function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

/** The public keys the user's clients (pylzy, the SDK, the lzy CLI) sign their calls with. */
export function KeysPage() {
  const [keys, setKeys] = useState<KeyDto[] | undefined>();
  const [name, setName] = useState('');
  const [publicKeyPem, setPublicKeyPem] = useState('');
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api<{ keys: KeyDto[] }>('/api/keys').then(
      (r) => setKeys(r.keys),
      (err: Error) => setError(err.message),
    );
  }, []);
  useEffect(load, [load]);

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setError('');
    setMessage('');
    try {
      setMessage(await action());
      load();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const add = () =>
    run(async () => {
      await api('/api/keys', { method: 'POST', body: { name, publicKeyPem } });
      setName('');
      setPublicKeyPem('');
      return `Key ${name} added.`;
    });

  const generate = () =>
    run(async () => {
      const keyName =
        name.trim() === '' ? `browser-${new Date().toISOString().slice(0, 10)}` : name.trim();
      const pair = await generatePair();
      await api('/api/keys', {
        method: 'POST',
        body: { name: keyName, publicKeyPem: pair.publicKeyPem },
      });
      download(`${keyName}.pem`, pair.privateKeyPem);
      setName('');
      return `Key ${keyName} added. Its private half was downloaded as ${keyName}.pem: this is the only copy, LZY does not keep it. Point LZY_KEY_PATH (or keyPath in ~/.lzy/client.json) at it.`;
    });

  const remove = (keyName: string) =>
    run(async () => {
      await api(`/api/keys/${encodeURIComponent(keyName)}`, { method: 'DELETE' });
      return `Key ${keyName} removed: clients signing with it are refused from now on.`;
    });

  return (
    <>
      <h1>Keys</h1>
      <p>
        Clients sign every call with an RSA private key; LZY checks it against these public keys.
        Set <code>LZY_USER</code> to your login and <code>LZY_KEY_PATH</code> to the private key.
      </p>
      <div aria-live="polite">
        {message !== '' && <p className="notice">{message}</p>}
        {error !== '' && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </div>
      <table>
        <caption className="visually-hidden">Your public keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Fingerprint</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(keys ?? []).map((k) => (
            <tr key={k.name}>
              <td>{k.name}</td>
              <td>
                <code>{k.fingerprint}</code>
              </td>
              <td>{k.expiresAt === undefined ? 'never' : formatTime(k.expiresAt)}</td>
              <td>
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => void remove(k.name)}
                  aria-label={`Remove key ${k.name}`}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {keys?.length === 0 && <p>No keys yet.</p>}
      <h2>Add a key</h2>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop" />
        </label>
        <label>
          Public key (PEM)
          <textarea
            rows={6}
            value={publicKeyPem}
            onChange={(e) => setPublicKeyPem(e.target.value)}
            placeholder={'-----BEGIN PUBLIC KEY-----\n…'}
          />
        </label>
        <div className="buttons">
          <button
            type="submit"
            className="primary"
            disabled={busy || name === '' || publicKeyPem === ''}
          >
            Add public key
          </button>
          <button type="button" disabled={busy} onClick={() => void generate()}>
            Generate a key pair in this browser
          </button>
        </div>
        <p className="muted">
          Or make one yourself: <code>openssl genrsa -out key.pem 2048</code> and{' '}
          <code>openssl rsa -in key.pem -pubout</code>, then paste the public half.
        </p>
      </form>
    </>
  );
}
