import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  ExecutionDetailDto,
  ExecutionSummaryDto,
  OpNodeDto,
  OpStatusDto,
} from '../../../src/api/types.ts';
import { api, follow } from '../api.ts';
import { GraphView } from '../components/graph-view.tsx';
import { OpPanel } from '../components/op-panel.tsx';
import { displayStatus, StatusBadge } from '../components/status-badge.tsx';
import { Timeline } from '../components/timeline.tsx';
import { durationBetween, formatTime } from '../format.ts';
import { Link } from '../router.tsx';
import { useNow } from '../use-now.ts';

/** One execution, live: its graphs, each op's state (server push), an op's details and log. */
export function ExecutionPage({ executionId }: { executionId: string }) {
  const [detail, setDetail] = useState<ExecutionDetailDto | undefined>();
  const [summary, setSummary] = useState<ExecutionSummaryDto | undefined>();
  const [ops, setOps] = useState<Map<string, OpStatusDto>>(new Map());
  const [selected, setSelected] = useState<string | undefined>();
  const [graphIndex, setGraphIndex] = useState(-1);
  const [error, setError] = useState('');
  const path = `/api/executions/${encodeURIComponent(executionId)}`;
  // What the last load knew, for the event handlers: a new graph (or an op of one) reloads.
  const known = useRef<{ graphs: number; taskIds: Set<string>; loading: boolean; again: boolean }>({
    graphs: 0,
    taskIds: new Set(),
    loading: false,
    again: false,
  });

  const load = useCallback(() => {
    const state = known.current;
    if (state.loading) {
      state.again = true;
      return;
    }
    state.loading = true;
    api<ExecutionDetailDto>(path)
      .then(
        (d) => {
          state.graphs = d.graphs.length;
          state.taskIds = new Set(d.graphs.flatMap((g) => g.ops.map((op) => op.taskId)));
          setDetail(d);
          setSummary((current) =>
            current !== undefined && current.graphCount > d.summary.graphCount
              ? current
              : d.summary,
          );
          setError('');
        },
        (err: Error) => setError(err.message),
      )
      .finally(() => {
        state.loading = false;
        if (state.again) {
          state.again = false;
          load();
        }
      });
  }, [path]);

  useEffect(() => {
    load();
    // Op states arrive in batches; one render per animation frame keeps 1,000-op graphs smooth.
    let pending: OpStatusDto[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setOps((current) => {
        const next = new Map(current);
        for (const status of batch) next.set(status.taskId, status);
        return next;
      });
    };
    const close = follow(`${path}/events`, {
      op: (data) => {
        const status = data as OpStatusDto;
        if (!known.current.taskIds.has(status.taskId)) load();
        pending.push(status);
        if (frame === 0) frame = window.requestAnimationFrame(flush);
      },
      summary: (data) => {
        const next = data as ExecutionSummaryDto;
        if (next.graphCount > known.current.graphs) load();
        setSummary(next);
      },
    });
    return () => {
      close();
      if (frame !== 0) window.cancelAnimationFrame(frame);
    };
  }, [path, load]);

  const graphs = detail?.graphs ?? [];
  const graph = graphs[graphIndex < 0 ? graphs.length - 1 : graphIndex];
  const opsById = useMemo(() => {
    const byId = new Map<string, OpNodeDto>();
    for (const g of graphs) for (const op of g.ops) byId.set(op.taskId, op);
    return byId;
  }, [graphs]);
  const now = useNow(summary?.finishedAt === undefined);

  if (error !== '') {
    return (
      <>
        <h1>Execution</h1>
        <p role="alert" className="error">
          {error}
        </p>
        <p>
          <Link href="/">Back to executions</Link>
        </p>
      </>
    );
  }
  if (detail === undefined || summary === undefined) return <p aria-busy="true">Loading…</p>;
  const selectedOp = selected === undefined ? undefined : opsById.get(selected);
  return (
    <>
      <p>
        <Link href="/">Executions</Link> › {summary.workflowName}
      </p>
      <h1>
        {summary.workflowName} <StatusBadge status={displayStatus(summary)} />
      </h1>
      <dl className="facts">
        <dt>Execution</dt>
        <dd>
          <code>{summary.executionId}</code>
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(summary.createdAt)}</dd>
        <dt>Duration</dt>
        <dd>{durationBetween(summary.createdAt, summary.finishedAt, now)}</dd>
        <dt>Ops</dt>
        <dd>
          {summary.opsCompleted} done, {summary.opsExecuting} running, {summary.opCount} in all
        </dd>
        {summary.failure !== '' && (
          <>
            <dt>Failure</dt>
            <dd className="error">{summary.failure}</dd>
          </>
        )}
      </dl>
      {graphs.length > 1 && (
        <label>
          Graph
          <select
            value={graphIndex < 0 ? graphs.length - 1 : graphIndex}
            onChange={(e) => setGraphIndex(Number(e.target.value))}
          >
            {graphs.map((g, i) => (
              <option key={g.graphId} value={i}>
                #{i + 1} ({g.ops.length} ops, {g.state.toLowerCase()})
              </option>
            ))}
          </select>
        </label>
      )}
      {graph === undefined ? (
        <p>No graph was submitted yet.</p>
      ) : (
        <div className="execution-body">
          <section className="graph-section" aria-label="Graph of ops">
            <GraphView graph={graph} ops={ops} selected={selected} onSelect={setSelected} />
          </section>
          {selectedOp !== undefined && (
            <OpPanel
              executionId={executionId}
              op={selectedOp}
              status={ops.get(selectedOp.taskId)}
              logsAvailable={detail.logsAvailable}
              onClose={() => setSelected(undefined)}
            />
          )}
        </div>
      )}
      {graph !== undefined && (
        <Timeline ops={graph.ops} statuses={ops} now={now} onSelect={setSelected} />
      )}
    </>
  );
}
