import { useEffect, useState } from 'react';
import type { SiteInfoDto } from '../../../src/api/types.ts';
import { api } from '../api.ts';
import { useLocation } from '../router.tsx';

const ERRORS: Record<string, string> = {
  link: 'That sign-in link was already used or has expired. Ask for a new one.',
  github: 'Signing in with GitHub did not work. Try again.',
};

export function LoginPage() {
  const { search } = useLocation();
  const [info, setInfo] = useState<SiteInfoDto | undefined>();
  useEffect(() => {
    api<SiteInfoDto>('/api/info').then(setInfo, () => setInfo({ githubEnabled: false }));
  }, []);
  const error = new URLSearchParams(search).get('error');
  return (
    <section className="login" aria-labelledby="login-title">
      <h1 id="login-title">Sign in to LZY</h1>
      {error !== null && (
        <p role="alert" className="error">
          {ERRORS[error] ?? 'Signing in did not work.'}
        </p>
      )}
      {info?.githubEnabled === true && (
        <p>
          <a className="button primary" href="/auth/github">
            Sign in with GitHub
          </a>
        </p>
      )}
      {info?.githubEnabled === false && (
        <p>
          This installation has no GitHub sign-in. Open the one-time sign-in link the local suite
          printed when it started (<code>pnpm start</code>).
        </p>
      )}
    </section>
  );
}
