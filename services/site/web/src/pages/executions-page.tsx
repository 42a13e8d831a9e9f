import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ExecutionPageDto, ExecutionSummaryDto } from '../../../src/api/types.ts';
import { api, follow } from '../api.ts';
import { displayStatus, StatusBadge } from '../components/status-badge.tsx';
import { durationBetween, formatTime } from '../format.ts';
import { Link } from '../router.tsx';
import { useNow } from '../use-now.ts';

interface Filter {
  workflow: string;
  status: string;
  from: string;
  to: string;
}

const EMPTY: Filter = { workflow: '', status: '', from: '', to: '' };

function queryOf(filter: Filter, pageToken = ''): string {
  const params = new URLSearchParams();
  if (filter.workflow !== '') params.set('workflow', filter.workflow);
  if (filter.status === 'FAILURES') params.set('failures', '1');
  else if (filter.status !== '') params.set('status', filter.status);
  if (filter.from !== '') params.set('from', new Date(filter.from).toISOString());
  if (filter.to !== '') params.set('to', new Date(filter.to).toISOString());
  if (pageToken !== '') params.set('pageToken', pageToken);
  return params.toString();
}

function matches(s: ExecutionSummaryDto, filter: Filter): boolean {
  if (!s.workflowName.toLowerCase().includes(filter.workflow.toLowerCase())) return false;
  if (filter.status === 'FAILURES' && displayStatus(s) !== 'FAILED') return false;
  if (filter.status !== '' && filter.status !== 'FAILURES' && s.status !== filter.status)
    return false;
  if (filter.from !== '' && Date.parse(s.createdAt) < Date.parse(filter.from)) return false;
  if (filter.to !== '' && Date.parse(s.createdAt) > Date.parse(filter.to)) return false;
  return true;
}

/** Workflows and executions, newest first; new ones and changes arrive by server push. */
export function ExecutionsPage() {
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [rows, setRows] = useState<ExecutionSummaryDto[]>([]);
  const [nextPageToken, setNextPageToken] = useState('');
  const [error, setError] = useState('');
  const [loaded, setLoaded] = useState(false);

  const load = useCallback(() => {
    api<ExecutionPageDto>(`/api/executions?${queryOf(filter)}`).then(
      (page) => {
        setRows(page.executions);
        setNextPageToken(page.nextPageToken);
        setLoaded(true);
        setError('');
      },
      (err: Error) => setError(err.message),
    );
  }, [filter]);

  // Loaded at once, and again each time the event stream (re)connects: nothing is missed between.
  useEffect(load, [load]);
  useEffect(
    () =>
      follow(
        '/api/executions/events',
        {
          execution: (data) => {
            const summary = data as ExecutionSummaryDto;
            setRows((current) => {
              const others = current.filter((r) => r.executionId !== summary.executionId);
              if (!matches(summary, filter)) return others;
              return [...others, summary].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
            });
          },
        },
        load,
      ),
    [filter, load],
  );

  const loadMore = () => {
    api<ExecutionPageDto>(`/api/executions?${queryOf(filter, nextPageToken)}`).then(
      (page) => {
        setRows((current) => [...current, ...page.executions]);
        setNextPageToken(page.nextPageToken);
      },
      (err: Error) => setError(err.message),
    );
  };

  const running = useMemo(() => rows.some((r) => r.finishedAt === undefined), [rows]);
  const now = useNow(running);

  return (
    <>
      <h1>Executions</h1>
      <form
        className="filters"
        aria-label="Filter executions"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
        }}
      >
        <label>
          Workflow name
          <input
            type="search"
            value={draft.workflow}
            onChange={(e) => setDraft({ ...draft, workflow: e.target.value })}
          />
        </label>
        <label>
          Status
          <select
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.target.value })}
          >
            <option value="">Any</option>
            <option value="RUNNING">Running</option>
            <option value="COMPLETED">Completed</option>
            <option value="FAILURES">Failed</option>
            <option value="COMPLETING">Completing</option>
          </select>
        </label>
        <label>
          Started after
          <input
            type="datetime-local"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
        </label>
        <label>
          Started before
          <input
            type="datetime-local"
            value={draft.to}
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      {error !== '' && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <table className="executions">
        <caption className="visually-hidden">Executions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Workflow</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
            <th scope="col">Ops done / all</th>
            <th scope="col">Running</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.executionId} data-execution-id={r.executionId}>
              <td>
                <Link href={`/executions/${encodeURIComponent(r.executionId)}`}>
                  {r.workflowName}
                </Link>
              </td>
              <td>
                <StatusBadge status={displayStatus(r)} />
              </td>
              <td>{formatTime(r.createdAt)}</td>
              <td>{durationBetween(r.createdAt, r.finishedAt, now)}</td>
              <td>
                {r.opsCompleted} / {r.opCount}
              </td>
              <td>{r.opsExecuting}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {loaded && rows.length === 0 && (
        <p>No executions yet. Run a workflow with the SDK or pylzy.</p>
      )}
      {nextPageToken !== '' && (
        <button type="button" onClick={loadMore}>
          Show older executions
        </button>
      )}
    </>
  );
}
