/**
 * Prometheus text exposition (format 0.0.4, what prom-client serves on each service's /metrics)
 * read back into samples, and the counter deltas over a benchmark's window.
 */

/** One sample line: `name{label="value",…} value`. */
export interface MetricSample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/**
 * The samples of a /metrics page, in page order; comments (# HELP, # TYPE) and blank lines are
 * skipped, a trailing timestamp is ignored. Label values may hold escaped `\\`, `\"` and `\n`.
 * @throws Error naming the line when one is not a sample (a page cut short, not Prometheus text)
 */
export function parsePrometheusText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const sample = parseSampleLine(line);
    if (sample === undefined) throw new Error(`metrics line ${index + 1} is not a sample: ${line}`);
    samples.push(sample);
  });
  return samples;
}

function parseSampleLine(line: string): MetricSample | undefined {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return undefined;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest.slice(1), labels);
    if (parsed === undefined) return undefined;
    rest = parsed;
  }
  const [valueText, timestamp, extra] = rest.trim().split(/\s+/);
  if (valueText === undefined || extra !== undefined) return undefined;
  if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) return undefined;
  const value = parseValue(valueText);
  return value === undefined ? undefined : { name, labels, value };
}

/** Reads `a="x",b="y"}` into `labels`; returns what follows the `}`, undefined if malformed. */
function parseLabels(text: string, labels: Record<string, string>): string | undefined {
  let rest = text.trimStart();
  while (!rest.startsWith('}')) {
    const label = LABEL_NAME.exec(rest)?.[0];
    if (label === undefined) return undefined;
    rest = rest.slice(label.length).trimStart();
    if (!rest.startsWith('="')) return undefined;
    let value = '';
    let i = 2;
    for (; i < rest.length && rest[i] !== '"'; i++) {
      if (rest[i] !== '\\') {
        value += rest[i];
        continue;
      }
      const escaped = rest[++i];
      value += escaped === 'n' ? '\n' : (escaped ?? '');
    }
    if (i >= rest.length) return undefined;
    labels[label] = value;
    rest = rest.slice(i + 1).trimStart();
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
    else if (!rest.startsWith('}')) return undefined;
  }
  return rest.slice(1);
}

function parseValue(text: string): number | undefined {
  switch (text) {
    case '+Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
  }
  const value = Number(text);
  return text === '' || Number.isNaN(value) ? undefined : value;
}

/**
 * `after − before` for every label set of counter `name`. A label set missing before counts from
 * 0 (prom-client shows one only from its first increment); one that did not move is left out.
 * @throws Error when a counter went down (its process restarted: the delta would be meaningless)
 */
export function counterDeltas(
  before: readonly MetricSample[],
  after: readonly MetricSample[],
  name: string,
): MetricSample[] {
  const start = new Map(
    before.filter((s) => s.name === name).map((s) => [labelKey(s.labels), s.value]),
  );
  const deltas: MetricSample[] = [];
  for (const sample of after) {
    if (sample.name !== name) continue;
    const delta = sample.value - (start.get(labelKey(sample.labels)) ?? 0);
    if (delta < 0) throw new Error(`counter ${name}${labelKey(sample.labels)} went down`);
    if (delta > 0) deltas.push({ ...sample, value: delta });
  }
  return deltas;
}

/** Sums samples by `keyOf(labels)`, biggest first. */
export function sumBy(
  samples: readonly MetricSample[],
  keyOf: (labels: Readonly<Record<string, string>>) => string,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const s of samples) sums.set(keyOf(s.labels), (sums.get(keyOf(s.labels)) ?? 0) + s.value);
  return new Map([...sums].sort((a, b) => b[1] - a[1]));
}

/** `{a="x",b="y"}` with labels sorted: one key per label set, whatever their order on the page. */
function labelKey(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `{${pairs.join(',')}}`;
}
