import { useCallback, useEffect, useState } from 'react';
import type { WhiteboardDto } from '../../../src/api/types.ts';
import { api } from '../api.ts';
import { StatusBadge } from '../components/status-badge.tsx';
import { formatTime } from '../format.ts';
import { Link } from '../router.tsx';

interface Query {
  name: string;
  tag: string;
  from: string;
  to: string;
}

/** The user's whiteboards, searched by name, tag and creation time. */
export function WhiteboardsPage() {
  const [draft, setDraft] = useState<Query>({ name: '', tag: '', from: '', to: '' });
  const [found, setFound] = useState<WhiteboardDto[] | undefined>();
  const [error, setError] = useState('');
  const search = useCallback((q: Query) => {
    const params = new URLSearchParams();
    if (q.name !== '') params.set('name', q.name);
    for (const tag of q.tag.split(',').map((t) => t.trim()))
      if (tag !== '') params.append('tag', tag);
    if (q.from !== '') params.set('from', new Date(q.from).toISOString());
    if (q.to !== '') params.set('to', new Date(q.to).toISOString());
    api<{ whiteboards: WhiteboardDto[] }>(`/api/whiteboards?${params.toString()}`).then(
      (r) => {
        setFound(r.whiteboards);
        setError('');
      },
      (err: Error) => setError(err.message),
    );
  }, []);
  useEffect(() => search({ name: '', tag: '', from: '', to: '' }), [search]);
  return (
    <>
      <h1>Whiteboards</h1>
      <form
        className="filters"
        aria-label="Search whiteboards"
        onSubmit={(e) => {
          e.preventDefault();
          search(draft);
        }}
      >
        <label>
          Name (exact)
          <input
            type="search"
            value={draft.name}
            onChange={(e) => setDraft({ ...draft, name: e.target.value })}
          />
        </label>
        <label>
          Tags (all of, comma-separated)
          <input value={draft.tag} onChange={(e) => setDraft({ ...draft, tag: e.target.value })} />
        </label>
        <label>
          Created after
          <input
            type="datetime-local"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
        </label>
        <label>
          Created before
          <input
            type="datetime-local"
            value={draft.to}
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          />
        </label>
        <button type="submit">Search</button>
      </form>
      {error !== '' && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <table>
        <caption className="visually-hidden">Whiteboards, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Tags</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {(found ?? []).map((wb) => (
            <tr key={wb.id}>
              <td>
                <Link href={`/whiteboards/${encodeURIComponent(wb.id)}`}>{wb.name}</Link>
              </td>
              <td>{wb.tags.join(', ')}</td>
              <td>
                <StatusBadge status={wb.status} />
              </td>
              <td>{formatTime(wb.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {found?.length === 0 && <p>No whiteboard matches.</p>}
    </>
  );
}

export function WhiteboardPage({ id }: { id: string }) {
  const [wb, setWb] = useState<WhiteboardDto | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    api<WhiteboardDto>(`/api/whiteboards/${encodeURIComponent(id)}`).then(setWb, (err: Error) =>
      setError(err.message),
    );
  }, [id]);
  if (error !== '') {
    return (
      <>
        <h1>Whiteboard</h1>
        <p role="alert" className="error">
          {error}
        </p>
      </>
    );
  }
  if (wb === undefined) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      <p>
        <Link href="/whiteboards">Whiteboards</Link> › {wb.name}
      </p>
      <h1>
        {wb.name} <StatusBadge status={wb.status} />
      </h1>
      <dl className="facts">
        <dt>Id</dt>
        <dd>
          <code>{wb.id}</code>
        </dd>
        <dt>Tags</dt>
        <dd>{wb.tags.length === 0 ? '—' : wb.tags.join(', ')}</dd>
        <dt>Created</dt>
        <dd>{formatTime(wb.createdAt)}</dd>
        <dt>Storage</dt>
        <dd>
          <code className="uri">{wb.storageUri || '—'}</code>
        </dd>
      </dl>
      <h2>Fields</h2>
      <table>
        <caption className="visually-hidden">Fields of the whiteboard</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Data format</th>
            <th scope="col">Scheme</th>
          </tr>
        </thead>
        <tbody>
          {wb.fields.map((f) => (
            <tr key={f.name}>
              <td>{f.name}</td>
              <td>{f.dataFormat || '—'}</td>
              <td>{f.schemeFormat || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
