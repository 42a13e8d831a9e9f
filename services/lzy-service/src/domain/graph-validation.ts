import { InvalidArgument } from '@lzy/errors';
import type { lzyWorkflow } from '@lzy/proto';
import type { VmPool } from './ports.ts';

type Graph = lzyWorkflow.Graph;

/**
 * Checks a graph before anything is created (public-api §7.1 ExecuteGraph): non-empty, output
 * URIs unique within the request, acyclic dataflow, every requested pool known, one zone that
 * has them all. Returns the zone to run in.
 * @throws InvalidArgument naming what to fix.
 */
export function validateGraph(graph: Graph, pools: readonly VmPool[]): string {
  if (graph.operations.length === 0) {
    throw new InvalidArgument('Graph has no operations; send at least one');
  }
  const outputs = new Set<string>();
  for (const op of graph.operations) {
    for (const slot of op.outputSlots) {
      if (outputs.has(slot.storageUri)) {
        throw new InvalidArgument(
          `Output storage URI '${slot.storageUri}' appears twice in the graph; outputs are write-once`,
        );
      }
      outputs.add(slot.storageUri);
    }
  }
  rejectCycles(graph);
  const zone = chooseZone(graph, pools);
  checkRequirements(graph, pools);
  return zone;
}

/** Most runs of one op a client may ask for (lzyTsRequirements.maxAttempts). */
export const MAX_ATTEMPTS_LIMIT = 10;

/** The LZY-TS requirements of each op: finite, non-negative, within its pool's VM. */
function checkRequirements(graph: Graph, pools: readonly VmPool[]): void {
  const byLabel = new Map(pools.map((pool) => [pool.label, pool]));
  for (const op of graph.operations) {
    const r = op.lzyTsRequirements;
    if (r === undefined) continue;
    for (const [name, value] of [
      ['cpuCount', r.cpuCount],
      ['ramGb', r.ramGb],
    ] as const) {
      if (!Number.isFinite(value) || value < 0) {
        throw new InvalidArgument(
          `Operation '${op.name}': requirements.${name} must be a non-negative number, got ${value}`,
        );
      }
    }
    if (r.maxAttempts > MAX_ATTEMPTS_LIMIT) {
      throw new InvalidArgument(
        `Operation '${op.name}': requirements.maxAttempts is ${r.maxAttempts}; at most ${MAX_ATTEMPTS_LIMIT} runs are allowed`,
      );
    }
    const pool = byLabel.get(op.poolSpecName);
    if (pool === undefined) continue; // chooseZone refused it already
    if (r.cpuCount > pool.cpuCount || r.ramGb > pool.ramGb || r.gpuCount > pool.gpuCount) {
      throw new InvalidArgument(
        `Operation '${op.name}' needs ${r.cpuCount} CPU, ${r.ramGb} GB RAM, ${r.gpuCount} GPU, ` +
          `more than a VM of pool '${pool.label}' has (${pool.cpuCount} CPU, ${pool.ramGb} GB, ` +
          `${pool.gpuCount} GPU); choose a larger pool or ask for less`,
      );
    }
  }
}

/**
 * Kahn's algorithm over producer → consumer edges (an input whose URI another op of the graph
 * outputs): ops that never reach in-degree 0 lie on a cycle. Iterative, so a chain of 10⁵ ops
 * cannot overflow the stack (a recursive DFS did at ~10⁴: INTERNAL).
 */
function rejectCycles(graph: Graph): void {
  const producerOf = new Map<string, number>();
  graph.operations.forEach((op, index) => {
    for (const slot of op.outputSlots) producerOf.set(slot.storageUri, index);
  });
  const consumers = graph.operations.map(() => new Set<number>());
  const inDegree = graph.operations.map(() => 0);
  graph.operations.forEach((op, index) => {
    for (const slot of op.inputSlots) {
      const producer = producerOf.get(slot.storageUri);
      const edges = producer === undefined ? undefined : consumers[producer];
      if (edges === undefined || edges.has(index)) continue;
      edges.add(index);
      inDegree[index] = (inDegree[index] ?? 0) + 1;
    }
  });
  const ready = inDegree.flatMap((degree, index) => (degree === 0 ? [index] : []));
  let done = 0;
  while (ready.length > 0) {
    const node = ready.pop()!;
    done += 1;
    for (const next of consumers[node] ?? []) {
      inDegree[next] = (inDegree[next] ?? 0) - 1;
      if (inDegree[next] === 0) ready.push(next);
    }
  }
  if (done === graph.operations.length) return;
  const stuck = inDegree.findIndex((degree) => degree > 0);
  const name = graph.operations[stuck]?.name ?? '';
  throw new InvalidArgument(`Graph has a cycle in its dataflow (through operation '${name}')`);
}

function chooseZone(graph: Graph, pools: readonly VmPool[]): string {
  const byLabel = new Map(pools.map((pool) => [pool.label, pool]));
  const used: VmPool[] = [];
  for (const op of graph.operations) {
    const pool = byLabel.get(op.poolSpecName);
    if (pool === undefined) {
      const known = pools.map((p) => p.label).join(', ');
      throw new InvalidArgument(
        `Operation '${op.name}' requests pool '${op.poolSpecName}', which does not exist; available pools: ${known}`,
      );
    }
    used.push(pool);
  }
  if (graph.zone !== '') {
    const lacking = used.find((pool) => !pool.zones.includes(graph.zone));
    if (lacking !== undefined) {
      throw new InvalidArgument(`Zone '${graph.zone}' has no pool '${lacking.label}'`);
    }
    return graph.zone;
  }
  const [first, ...rest] = used;
  const zone = first?.zones.find((z) => rest.every((pool) => pool.zones.includes(z)));
  if (zone === undefined) {
    throw new InvalidArgument(
      `No zone offers every requested pool (${[...new Set(used.map((p) => p.label))].join(', ')})`,
    );
  }
  return zone;
}
