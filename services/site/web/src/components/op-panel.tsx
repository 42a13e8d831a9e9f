import { useEffect, useRef, useState } from 'react';
import type { OpNodeDto, OpStatusDto, StdLineDto } from '../../../src/api/types.ts';
import { follow } from '../api.ts';
import { durationBetween, formatTime } from '../format.ts';
import { StatusBadge } from './status-badge.tsx';

const MAX_LINES = 5_000;

/** One op: where it ran, when, its data, how it ended, and its stdout/stderr as they come. */
export function OpPanel(props: {
  executionId: string;
  op: OpNodeDto;
  status: OpStatusDto | undefined;
  logsAvailable: boolean;
  onClose: () => void;
}) {
  const { executionId, op, status, logsAvailable, onClose } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [op.taskId]);
  const state = status?.state ?? 'WAITING';
  const ended = state === 'SUCCEEDED' || state === 'FAILED' || state === 'STOPPED';
  return (
    <aside className="op-panel" aria-labelledby="op-title">
      <h2 id="op-title" tabIndex={-1} ref={heading}>
        {op.name || op.taskId} <StatusBadge status={state} />
      </h2>
      <button type="button" className="close" onClick={onClose} aria-label="Close op details">
        ×
      </button>
      <dl className="facts">
        <dt>Task</dt>
        <dd>
          <code>{op.taskId}</code>
        </dd>
        <dt>Pool</dt>
        <dd>
          {op.poolLabel || '—'} {op.zone !== '' && <span>({op.zone})</span>}
        </dd>
        <dt>VM</dt>
        <dd>{status?.vmId ? <code>{status.vmId}</code> : '—'}</dd>
        <dt>Queued</dt>
        <dd>{formatTime(status?.queuedAt)}</dd>
        <dt>Started</dt>
        <dd>{formatTime(status?.startedAt)}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(status?.finishedAt)}</dd>
        <dt>Ran for</dt>
        <dd>
          {status?.startedAt === undefined
            ? '—'
            : durationBetween(status.startedAt, status.finishedAt, Date.now())}
        </dd>
        <dt>Exit code</dt>
        <dd>{ended ? status?.rc : '—'}</dd>
        {status !== undefined && status.description !== '' && (
          <>
            <dt>{state === 'FAILED' || state === 'STOPPED' ? 'Error' : 'Message'}</dt>
            <dd className={state === 'FAILED' ? 'error' : undefined}>
              <pre>{status.description}</pre>
            </dd>
          </>
        )}
      </dl>
      <h3>Inputs</h3>
      <SlotList slots={op.inputs} />
      <h3>Outputs</h3>
      <SlotList slots={op.outputs} />
      <h3>Log</h3>
      {logsAvailable ? (
        <LiveLog executionId={executionId} taskId={op.taskId} />
      ) : (
        <p>The execution has finished: its output streams are no longer kept.</p>
      )}
    </aside>
  );
}

function SlotList({ slots }: { slots: OpNodeDto['inputs'] }) {
  if (slots.length === 0) return <p>None.</p>;
  return (
    <ul className="slots">
      {slots.map((s) => (
        <li key={`${s.path}\n${s.storageUri}`}>
          <code>{s.path}</code>: <code className="uri">{s.storageUri || 'not stored'}</code>
        </li>
      ))}
    </ul>
  );
}

function LiveLog({ executionId, taskId }: { executionId: string; taskId: string }) {
  const [lines, setLines] = useState<StdLineDto[]>([]);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    setLines([]);
    setEnded(false);
    const url = `/api/executions/${encodeURIComponent(executionId)}/logs?taskId=${encodeURIComponent(taskId)}`;
    let close = () => undefined as void;
    close = follow(url, {
      std: (data) =>
        setLines((current) => {
          const line = data as StdLineDto;
          // A reconnection replays from the start: keep each sequence number once.
          if (current.length > 0 && line.seq <= current[current.length - 1]!.seq) return current;
          return [...current, line].slice(-MAX_LINES);
        }),
      end: () => {
        setEnded(true);
        close();
      },
    });
    return () => close();
  }, [executionId, taskId]);
  return (
    <div className="log" role="log" aria-live="polite" aria-label="Op output" tabIndex={0}>
      {lines.length === 0 && !ended && <span className="muted">Waiting for output…</span>}
      {lines.map((line) => (
        <span key={line.seq} className={`std-${line.stream}`}>
          {line.data}
        </span>
      ))}
      {ended && <span className="muted">— end of output —</span>}
    </div>
  );
}
