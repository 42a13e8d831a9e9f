import { InvalidArgument } from '@lzy/errors';
import type { lzyWorkflow } from '@lzy/proto';

/*
 * Limits on what the public API accepts (issue 13 item 10), each refused with INVALID_ARGUMENT
 * naming the field and the limit, before anything reaches the database or a neighbour. Sized
 * well above what pylzy sends (client protocol §4): names are short, URIs are S3 keys (≤ 1024
 * bytes) under a bucket, a command is one exec argument.
 */
export const LIMITS = {
  /** pylzy checks `^[a-zA-Z0-9_-]*$`; the name is part of every data URI (`lzy_runs/<wf>/…`). */
  workflowNameChars: 256,
  /** Execution, graph and operation ids: ours are UUIDs. */
  idChars: 128,
  /** Finish/Abort reason (free text, stored). */
  reasonChars: 4096,
  /** Operations of one graph. */
  graphOperations: 100_000,
  /** Input plus output slots of one operation. */
  operationSlots: 10_000,
  /** Data descriptions of one graph (one per distinct URI). */
  dataDescriptions: 1_000_000,
  /** `s3://<bucket ≤ 63>/<key ≤ 1024 bytes>`, with room for a longer scheme. */
  storageUriChars: 1200,
  /** `/<call uuid>/<entry name>`. */
  slotPathChars: 1024,
  /** Linux's MAX_ARG_STRLEN: the command is one `bash -c` argument (client protocol §4.4). */
  commandBytes: 128 * 1024 - 1,
  /** Operation name, pool, docker image, graph name and zone. */
  nameChars: 1024,
  descriptionChars: 64 * 1024,
  /** Conda YAML of one operation. */
  envYamlChars: 1024 * 1024,
  localModules: 1000,
  localModuleNameChars: 4096,
  localModuleUrlChars: 16 * 1024,
  /** DataScheme strings (format names; the content may hold a pickled type). */
  schemeFormatChars: 1024,
  schemeContentChars: 1024 * 1024,
  schemeMetadataEntries: 100,
} as const;

const WORKFLOW_NAME = /^[A-Za-z0-9_-]+$/;
const ID = /^[A-Za-z0-9._:-]+$/;

/**
 * A workflow name as pylzy allows it (`[a-zA-Z0-9_-]`), but not empty: pylzy lets '' pass, yet a
 * blank name could never be finished or aborted (public-api §7.1 refuses blank names there), so
 * StartWorkflow refuses it too and the user renames the workflow.
 * @throws InvalidArgument
 */
export function checkWorkflowName(name: string, field = 'workflowName'): void {
  if (name.trim() === '') {
    throw new InvalidArgument(`${field} is empty; name the workflow (letters, digits, _ and -)`);
  }
  checkLength(name, LIMITS.workflowNameChars, field);
  if (!WORKFLOW_NAME.test(name)) {
    throw new InvalidArgument(
      `${field} ${quoted(name)} may hold only letters, digits, _ and - (as pylzy checks)`,
    );
  }
}

/**
 * An id we issued (execution, graph, operation): printable id characters, ≤ LIMITS.idChars.
 * @throws InvalidArgument naming the field
 */
export function checkId(id: string, field: string): void {
  if (id.trim() === '') throw new InvalidArgument(`${field} is empty`);
  checkLength(id, LIMITS.idChars, field);
  if (!ID.test(id)) throw new InvalidArgument(`${field} ${quoted(id)} is not an id`);
}

/** @throws InvalidArgument when `value` is longer than `max` characters */
export function checkLength(value: string, max: number, field: string): void {
  if (value.length > max) {
    throw new InvalidArgument(
      `${field} is ${value.length} characters long, over the ${max} allowed`,
    );
  }
}

function checkCount(count: number, max: number, field: string): void {
  if (count > max)
    throw new InvalidArgument(`${field} has ${count} entries, over the ${max} allowed`);
}

/** First characters of a value for a message (values may be huge). */
export function quoted(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

/**
 * The size limits of one graph (counts and lengths; what the strings mean is checked by
 * validateGraph and checkGraphStorage). Slot paths must be absolute and may not climb out of the
 * op's mount (`..`), which only the worker caught before.
 * @throws InvalidArgument naming the first field over a limit
 */
export function checkGraphLimits(graph: lzyWorkflow.Graph): void {
  checkCount(graph.operations.length, LIMITS.graphOperations, 'graph.operations');
  checkCount(graph.dataDescriptions.length, LIMITS.dataDescriptions, 'graph.dataDescriptions');
  checkLength(graph.name, LIMITS.nameChars, 'graph.name');
  checkLength(graph.zone, LIMITS.nameChars, 'graph.zone');
  checkLength(graph.parentGraphId, LIMITS.idChars, 'graph.parentGraphId');
  graph.operations.forEach((op, i) => checkOperation(op, `graph.operations[${i}]`));
  graph.dataDescriptions.forEach((d, i) => {
    const at = `graph.dataDescriptions[${i}]`;
    checkLength(d.storageUri, LIMITS.storageUriChars, `${at}.storageUri`);
    const scheme = d.dataScheme;
    if (scheme === undefined) return;
    checkLength(scheme.dataFormat, LIMITS.schemeFormatChars, `${at}.dataScheme.dataFormat`);
    checkLength(scheme.schemeFormat, LIMITS.schemeFormatChars, `${at}.dataScheme.schemeFormat`);
    checkLength(scheme.schemeContent, LIMITS.schemeContentChars, `${at}.dataScheme.schemeContent`);
    const entries = Object.entries(scheme.metadata);
    checkCount(entries.length, LIMITS.schemeMetadataEntries, `${at}.dataScheme.metadata`);
    for (const [key, value] of entries) {
      checkLength(key, LIMITS.schemeFormatChars, `${at}.dataScheme.metadata key`);
      checkLength(value, LIMITS.schemeFormatChars, `${at}.dataScheme.metadata[${quoted(key)}]`);
    }
  });
}

function checkOperation(op: lzyWorkflow.Operation, at: string): void {
  checkLength(op.name, LIMITS.nameChars, `${at}.name`);
  checkLength(op.description, LIMITS.descriptionChars, `${at}.description`);
  checkLength(op.dockerImage, LIMITS.nameChars, `${at}.dockerImage`);
  checkLength(op.poolSpecName, LIMITS.nameChars, `${at}.poolSpecName`);
  const commandBytes = Buffer.byteLength(op.command, 'utf8');
  if (commandBytes > LIMITS.commandBytes) {
    throw new InvalidArgument(
      `${at}.command is ${commandBytes} bytes, over the ${LIMITS.commandBytes} one exec argument may hold; capture less in the op's closure`,
    );
  }
  checkCount(
    op.inputSlots.length + op.outputSlots.length,
    LIMITS.operationSlots,
    `${at} slots (inputSlots + outputSlots)`,
  );
  const slots = [
    ...op.inputSlots.map((slot, i) => ({ slot, field: `${at}.inputSlots[${i}]` })),
    ...op.outputSlots.map((slot, i) => ({ slot, field: `${at}.outputSlots[${i}]` })),
  ];
  for (const { slot, field } of slots) {
    checkSlotPath(slot.path, `${field}.path`);
    checkLength(slot.storageUri, LIMITS.storageUriChars, `${field}.storageUri`);
  }
  if (op.env?.$case !== 'python') return;
  const python = op.env.value;
  checkLength(python.yaml, LIMITS.envYamlChars, `${at}.python.yaml`);
  checkCount(python.localModules.length, LIMITS.localModules, `${at}.python.localModules`);
  python.localModules.forEach((module, i) => {
    const field = `${at}.python.localModules[${i}]`;
    checkLength(module.name, LIMITS.localModuleNameChars, `${field}.name`);
    checkLength(module.url, LIMITS.localModuleUrlChars, `${field}.url`);
  });
}

/**
 * A slot path is a file under the op's mount (`$LZY_MOUNT<path>`, client protocol §5.1): it
 * starts with `/`, names a file (not `/` or a trailing `/`), and has no `.` or `..` segment, so
 * it cannot point outside the mount or at the mount itself.
 * @throws InvalidArgument
 */
export function checkSlotPath(path: string, field: string): void {
  checkLength(path, LIMITS.slotPathChars, field);
  if (!path.startsWith('/') || path.endsWith('/')) {
    throw new InvalidArgument(
      `${field} ${quoted(path)} must be an absolute file path like /<call>/<name>`,
    );
  }
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidArgument(
      `${field} ${quoted(path)} has an empty, "." or ".." segment; slot paths stay under the op's mount`,
    );
  }
}
