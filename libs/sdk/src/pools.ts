import { FailedPrecondition } from '@lzy/errors';
import type { lzyWorkflow } from '@lzy/proto';
import type { OpOptions } from './op.ts';

type VmPoolSpec = lzyWorkflow.VmPoolSpec;

/**
 * The pool an op runs in: `options.pool` if the installation has it; else the smallest pool
 * (fewest CPUs, then least RAM) with at least the requested CPUs, RAM and GPUs of the requested
 * GPU type (pylzy's rule; defaults 1 CPU, 1 GB, NO_GPU).
 * @throws FailedPrecondition naming the op, what it asked for and the pools there are.
 */
export function choosePool(
  opName: string,
  options: OpOptions,
  pools: readonly VmPoolSpec[],
): string {
  const known = pools.map((p) => `${p.poolSpecName} (${describe(p)})`).join(', ') || 'none';
  if (options.pool !== undefined) {
    if (pools.some((p) => p.poolSpecName === options.pool)) return options.pool;
    throw new FailedPrecondition(
      `op '${opName}' requires pool '${options.pool}', which this LZY installation does not have; available pools: ${known}`,
    );
  }
  const cpuCount = options.cpuCount ?? 1;
  const ramGb = options.ramGb ?? 1;
  const gpuType = options.gpuType ?? 'NO_GPU';
  const gpuCount = options.gpuCount ?? 0;
  const fitting = pools
    .filter(
      (p) =>
        p.cpuCount >= cpuCount &&
        p.ramGb >= ramGb &&
        p.gpuCount >= gpuCount &&
        (gpuCount === 0 || p.gpuType === gpuType),
    )
    .sort((a, b) => a.cpuCount - b.cpuCount || a.ramGb - b.ramGb || a.gpuCount - b.gpuCount);
  const chosen = fitting[0];
  if (chosen === undefined) {
    throw new FailedPrecondition(
      `no pool fits op '${opName}' (cpu ${cpuCount}, ram ${ramGb} GB, gpu ${gpuCount} × ${gpuType}); available pools: ${known}`,
    );
  }
  return chosen.poolSpecName;
}

function describe(p: VmPoolSpec): string {
  return `cpu ${p.cpuCount}, ram ${p.ramGb} GB, gpu ${p.gpuCount} × ${p.gpuType}`;
}
