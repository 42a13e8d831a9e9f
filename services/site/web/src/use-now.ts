import { useEffect, useState } from 'react';

/** The current time, refreshed every `periodMs` while `running` (for running durations only). */
export function useNow(running: boolean, periodMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return undefined;
    const timer = window.setInterval(() => setNow(Date.now()), periodMs);
    return () => window.clearInterval(timer);
  }, [running, periodMs]);
  return now;
}
