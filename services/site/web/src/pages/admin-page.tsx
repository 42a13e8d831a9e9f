import { useEffect, useState } from 'react';
import type { AdminOverviewDto } from '../../../src/api/types.ts';
import { api } from '../api.ts';
import { displayStatus, StatusBadge } from '../components/status-badge.tsx';
import { formatTime } from '../format.ts';
import { Link } from '../router.tsx';

/** Operators: pools and their VMs, users, recent failures of every user. */
export function AdminPage() {
  const [overview, setOverview] = useState<AdminOverviewDto | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    api<AdminOverviewDto>('/api/admin/overview').then(setOverview, (err: Error) =>
      setError(err.message),
    );
  }, []);
  if (error !== '') {
    return (
      <>
        <h1>Operators</h1>
        <p role="alert" className="error">
          {error}
        </p>
      </>
    );
  }
  if (overview === undefined) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      <h1>Operators</h1>
      <h2>Pools</h2>
      <table>
        <caption className="visually-hidden">VM pools</caption>
        <thead>
          <tr>
            <th scope="col">Pool</th>
            <th scope="col">Cluster</th>
            <th scope="col">Shape</th>
            <th scope="col">VMs in use</th>
            <th scope="col">Idle</th>
            <th scope="col">Starting</th>
            <th scope="col">Cap</th>
          </tr>
        </thead>
        <tbody>
          {overview.pools.map((p) => (
            <tr key={p.label}>
              <td>{p.label}</td>
              <td>{p.clusterType.toLowerCase()}</td>
              <td>
                {p.cpuCount} CPU, {p.ramGb} GB
                {p.gpuCount > 0 ? `, ${p.gpuCount} × ${p.gpuType}` : ''}
              </td>
              <td>{p.vmsRunning}</td>
              <td>{p.vmsIdle}</td>
              <td>{p.vmsAllocating}</td>
              <td>{p.maxVms ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Users</h2>
      <table>
        <caption className="visually-hidden">Users</caption>
        <thead>
          <tr>
            <th scope="col">Login</th>
            <th scope="col">Provider</th>
            <th scope="col">Keys (incl. site sessions)</th>
            <th scope="col">Operator</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {overview.users.map((u) => (
            <tr key={u.id}>
              <td>{u.login}</td>
              <td>{u.authProvider.toLowerCase()}</td>
              <td>{u.publicKeyCount}</td>
              <td>{u.isAdmin ? 'yes' : 'no'}</td>
              <td>{formatTime(u.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Recent failures</h2>
      {overview.failures.length === 0 ? (
        <p>No failed executions.</p>
      ) : (
        <table>
          <caption className="visually-hidden">Recent failed executions</caption>
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">User</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {overview.failures.map((f) => (
              <tr key={f.executionId}>
                <td>
                  <Link href={`/executions/${encodeURIComponent(f.executionId)}`}>
                    {f.workflowName}
                  </Link>
                </td>
                <td>{f.owner}</td>
                <td>
                  <StatusBadge status={displayStatus(f)} />
                </td>
                <td>{formatTime(f.createdAt)}</td>
                <td className="why">{f.failure || f.finishReason || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
