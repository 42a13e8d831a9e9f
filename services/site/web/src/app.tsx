import { useEffect, useState } from 'react';
import type { SessionDto } from '../../src/api/types.ts';
import { api, loadSession } from './api.ts';
import { AdminPage } from './pages/admin-page.tsx';
import { ExecutionPage } from './pages/execution-page.tsx';
import { ExecutionsPage } from './pages/executions-page.tsx';
import { KeysPage } from './pages/keys-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { WhiteboardPage, WhiteboardsPage } from './pages/whiteboards-page.tsx';
import { Link, navigate, RouterProvider, useLocation } from './router.tsx';

export function App() {
  return (
    <RouterProvider>
      <Shell />
    </RouterProvider>
  );
}

function Shell() {
  const { path } = useLocation();
  const [session, setSession] = useState<SessionDto | undefined | 'loading'>('loading');
  useEffect(() => {
    loadSession().then(setSession, () => setSession(undefined));
  }, []);
  if (session === 'loading') return <main aria-busy="true" />;
  if (session === undefined || path === '/login') {
    return (
      <main id="main">
        <LoginPage />
      </main>
    );
  }
  const signOut = async () => {
    await api('/auth/logout', { method: 'POST' });
    setSession(undefined);
    navigate('/login');
  };
  const nav = [
    { href: '/', label: 'Executions' },
    { href: '/whiteboards', label: 'Whiteboards' },
    { href: '/keys', label: 'Keys' },
    ...(session.user.isAdmin ? [{ href: '/admin', label: 'Operators' }] : []),
  ];
  const current = (href: string) =>
    href === '/' ? path === '/' || path.startsWith('/executions') : path.startsWith(href);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">LZY</span>
        <nav aria-label="Main">
          <ul>
            {nav.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={current(item.href) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          Signed in as <strong>{session.user.login}</strong>
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Page path={path} isAdmin={session.user.isAdmin} />
      </main>
    </>
  );
}

function Page({ path, isAdmin }: { path: string; isAdmin: boolean }) {
  const execution = /^\/executions\/([^/]+)$/.exec(path);
  if (execution?.[1] !== undefined)
    return <ExecutionPage executionId={decodeURIComponent(execution[1])} />;
  const whiteboard = /^\/whiteboards\/([^/]+)$/.exec(path);
  if (whiteboard?.[1] !== undefined)
    return <WhiteboardPage id={decodeURIComponent(whiteboard[1])} />;
  switch (path) {
    case '/':
      return <ExecutionsPage />;
    case '/keys':
      return <KeysPage />;
    case '/whiteboards':
      return <WhiteboardsPage />;
    case '/admin':
      return isAdmin ? <AdminPage /> : <p>The operators view needs the lzy.admin role.</p>;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            <Link href="/">Back to executions</Link>
          </p>
        </>
      );
  }
}
