import type { OpNodeDto, OpStatusDto } from '../../../src/api/types.ts';
import { formatDuration } from '../format.ts';
import { STATE_COLOURS } from './graph-view.tsx';

const MAX_ROWS = 200;

/**
 * When each op queued, started and ended, as bars on one time axis (queued part light, running
 * part solid). Each row is a button: the keyboard way to open an op.
 */
export function Timeline(props: {
  ops: OpNodeDto[];
  statuses: ReadonlyMap<string, OpStatusDto>;
  now: number;
  onSelect: (taskId: string) => void;
}) {
  const { ops, statuses, now, onSelect } = props;
  const rows = ops
    .map((op) => ({ op, status: statuses.get(op.taskId) }))
    .sort((a, b) => startOf(a.status) - startOf(b.status));
  const times = rows.flatMap(({ status }) =>
    [status?.queuedAt, status?.startedAt, status?.finishedAt]
      .filter((t): t is string => t !== undefined)
      .map((t) => Date.parse(t)),
  );
  if (times.length === 0) {
    return (
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <p>No op has been scheduled yet.</p>
      </section>
    );
  }
  const t0 = Math.min(...times);
  const anyRunning = rows.some((r) => r.status !== undefined && r.status.finishedAt === undefined);
  const t1 = Math.max(...times, anyRunning ? now : 0);
  const span = Math.max(1, t1 - t0);
  const pct = (t: number) => `${(((t - t0) / span) * 100).toFixed(2)}%`;
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      <p className="muted">
        {formatDuration(span)} from the first op queued. Light: waiting for a VM; solid: running.
      </p>
      <ol className="timeline">
        {rows.slice(0, MAX_ROWS).map(({ op, status }) => {
          const state = status?.state ?? 'WAITING';
          const colours = STATE_COLOURS[state] ?? STATE_COLOURS.WAITING!;
          const queued = status?.queuedAt ?? status?.startedAt ?? status?.finishedAt;
          const started = status?.startedAt ?? status?.finishedAt;
          const end = status?.finishedAt === undefined ? now : Date.parse(status.finishedAt);
          return (
            <li key={op.taskId}>
              <button type="button" onClick={() => onSelect(op.taskId)}>
                <span className="tl-name">{op.name || op.taskId}</span>
                <span className="tl-track" aria-hidden="true">
                  {queued !== undefined && (
                    <span
                      className="tl-wait"
                      style={{
                        left: pct(Date.parse(queued)),
                        width: `calc(${pct(Date.parse(started ?? queued))} - ${pct(Date.parse(queued))})`,
                        background: colours.fill,
                      }}
                    />
                  )}
                  {started !== undefined && (
                    <span
                      className="tl-run"
                      style={{
                        left: pct(Date.parse(started)),
                        width: `max(2px, calc(${pct(end)} - ${pct(Date.parse(started))}))`,
                        background: colours.border,
                      }}
                    />
                  )}
                </span>
                <span className="tl-state">{state.toLowerCase()}</span>
              </button>
            </li>
          );
        })}
      </ol>
      {rows.length > MAX_ROWS && (
        <p className="muted">
          First {MAX_ROWS} of {rows.length} ops.
        </p>
      )}
    </section>
  );
}

function startOf(status: OpStatusDto | undefined): number {
  const t = status?.queuedAt ?? status?.startedAt ?? status?.finishedAt;
  return t === undefined ? Number.MAX_SAFE_INTEGER : Date.parse(t);
}
