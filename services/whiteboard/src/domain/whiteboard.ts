import { InvalidArgument } from '@lzy/errors';

/** A protobuf Timestamp kept exactly: pylzy compares createdAt with its nanoseconds (§7.5 of the client protocol). */
export interface ExactTime {
  seconds: number;
  nanos: number;
}

export type WhiteboardStatus = 'CREATED' | 'FINALIZED';

export interface DataScheme {
  dataFormat: string;
  schemeFormat: string;
  schemeContent: string;
  metadata: Record<string, string>;
}

export interface WhiteboardField {
  name: string;
  scheme: DataScheme;
}

export interface WhiteboardStorage {
  name: string;
  description: string;
  uri: string;
}

/** A whiteboard as registered: tags and fields keep the order the client gave them. */
export interface Whiteboard {
  id: string;
  name: string;
  tags: string[];
  fields: WhiteboardField[];
  storage: WhiteboardStorage;
  namespace: string;
  status: WhiteboardStatus;
  createdAt: ExactTime;
}

/**
 * What a client sends (Register and Update): any member may be empty. `status` undefined =
 * UNSPECIFIED; a number outside the enum arrives as 'UNKNOWN'. A field's `scheme` may be absent.
 */
export interface WhiteboardInput {
  id: string;
  name: string;
  tags: string[];
  fields: { name: string; scheme: DataScheme | undefined }[];
  storage: WhiteboardStorage;
  namespace: string;
  status: WhiteboardStatus | 'UNKNOWN' | undefined;
  createdAt: ExactTime | undefined;
}

const isBlank = (value: string): boolean => value.trim() === '';

/**
 * Sizes a whiteboard may have (issue 13 item 10), far above what pylzy sends (a uuid id, a
 * Python identifier name, a few tags and fields); the whole record is also capped in bytes
 * (LZY_MAX_WHITEBOARD_BYTES).
 */
export const WHITEBOARD_LIMITS = {
  /** id, name, namespace, tags, field names, storage name, scheme formats. */
  nameChars: 256,
  tags: 256,
  fields: 10_000,
  storageUriChars: 2048,
  descriptionChars: 4096,
  schemeContentChars: 1024 * 1024,
  metadataEntries: 100,
} as const;

function checkLength(value: string, max: number, field: string): void {
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

/** A protobuf Timestamp's range: nanos 0..999,999,999, seconds an exact integer. */
function checkTime(time: ExactTime | undefined, field: string): void {
  if (time === undefined) return;
  if (!Number.isSafeInteger(time.seconds)) {
    throw new InvalidArgument(`${field}.seconds ${time.seconds} is out of range`);
  }
  if (!Number.isInteger(time.nanos) || time.nanos < 0 || time.nanos > 999_999_999) {
    throw new InvalidArgument(`${field}.nanos must be 0..999999999, got ${time.nanos}`);
  }
}

/**
 * The limits of WHITEBOARD_LIMITS on what a client sends (Register, Update).
 * @throws InvalidArgument naming the first member over a limit
 */
export function checkWhiteboardLimits(input: WhiteboardInput): void {
  const { nameChars } = WHITEBOARD_LIMITS;
  checkTime(input.createdAt, 'whiteboard.createdAt');
  checkLength(input.id, nameChars, 'whiteboard.id');
  checkLength(input.name, nameChars, 'whiteboard.name');
  checkLength(input.namespace, nameChars, 'whiteboard.namespace');
  checkCount(input.tags.length, WHITEBOARD_LIMITS.tags, 'whiteboard.tags');
  input.tags.forEach((tag, i) => checkLength(tag, nameChars, `whiteboard.tags[${i}]`));
  checkLength(input.storage.name, nameChars, 'whiteboard.storage.name');
  checkLength(input.storage.uri, WHITEBOARD_LIMITS.storageUriChars, 'whiteboard.storage.uri');
  checkLength(
    input.storage.description,
    WHITEBOARD_LIMITS.descriptionChars,
    'whiteboard.storage.description',
  );
  checkCount(input.fields.length, WHITEBOARD_LIMITS.fields, 'whiteboard.fields');
  input.fields.forEach((field, i) => {
    const at = `whiteboard.fields[${i}]`;
    checkLength(field.name, nameChars, `${at}.name`);
    const scheme = field.scheme;
    if (scheme === undefined) return;
    checkLength(scheme.dataFormat, nameChars, `${at}.scheme.dataFormat`);
    checkLength(scheme.schemeFormat, nameChars, `${at}.scheme.schemeFormat`);
    checkLength(
      scheme.schemeContent,
      WHITEBOARD_LIMITS.schemeContentChars,
      `${at}.scheme.schemeContent`,
    );
    const entries = Object.entries(scheme.metadata);
    checkCount(entries.length, WHITEBOARD_LIMITS.metadataEntries, `${at}.scheme.metadata`);
    for (const [key, value] of entries) {
      checkLength(key, nameChars, `${at}.scheme.metadata key`);
      checkLength(value, nameChars, `${at}.scheme.metadata value`);
    }
  });
}

/**
 * The limits on a List filter and a Get id.
 * @throws InvalidArgument
 */
export function checkQueryLimits(query: {
  id?: string;
  name?: string;
  tags?: string[];
  from?: ExactTime;
  to?: ExactTime;
}): void {
  const { nameChars } = WHITEBOARD_LIMITS;
  checkTime(query.from, 'createdTimeBounds.from');
  checkTime(query.to, 'createdTimeBounds.to');
  if (query.id !== undefined) checkLength(query.id, nameChars, 'whiteboardId');
  if (query.name !== undefined) checkLength(query.name, nameChars, 'name');
  const tags = query.tags ?? [];
  checkCount(tags.length, WHITEBOARD_LIMITS.tags, 'tags');
  tags.forEach((tag, i) => checkLength(tag, nameChars, `tags[${i}]`));
}

function checkFields(fields: WhiteboardInput['fields']): WhiteboardField[] {
  const seen = new Set<string>();
  return fields.map((field, i) => {
    if (isBlank(field.name)) throw new InvalidArgument(`whiteboard.fields[${i}].name is blank`);
    if (seen.has(field.name)) {
      throw new InvalidArgument(`whiteboard.fields has field '${field.name}' twice`);
    }
    seen.add(field.name);
    const scheme = field.scheme;
    if (scheme === undefined || isBlank(scheme.dataFormat)) {
      throw new InvalidArgument(`whiteboard.fields[${i}].scheme.dataFormat is blank`);
    }
    if (isBlank(scheme.schemeFormat)) {
      throw new InvalidArgument(`whiteboard.fields[${i}].scheme.schemeFormat is blank`);
    }
    return { name: field.name, scheme };
  });
}

function checkStatus(status: WhiteboardInput['status']): WhiteboardStatus {
  if (status === undefined) throw new InvalidArgument('whiteboard.status is unspecified');
  if (status === 'UNKNOWN')
    throw new InvalidArgument('whiteboard.status must be CREATED or FINALIZED');
  return status;
}

/**
 * The RegisterWhiteboard validation list of public-api.md §7.1; the message names the first bad
 * member. Duplicate field names are refused too (a whiteboard field is addressed by its name).
 * @throws InvalidArgument
 */
export function validateRegistration(input: WhiteboardInput): Whiteboard {
  checkWhiteboardLimits(input);
  if (isBlank(input.id)) throw new InvalidArgument('whiteboard.id is blank');
  if (isBlank(input.name)) throw new InvalidArgument('whiteboard.name is blank');
  if (input.fields.length === 0) throw new InvalidArgument('whiteboard.fields is empty');
  if (isBlank(input.namespace)) throw new InvalidArgument('whiteboard.namespace is blank');
  if (isBlank(input.storage.name)) throw new InvalidArgument('whiteboard.storage.name is blank');
  if (isBlank(input.storage.uri)) throw new InvalidArgument('whiteboard.storage.uri is blank');
  if (input.createdAt === undefined || input.createdAt.seconds === 0) {
    throw new InvalidArgument('whiteboard.createdAt is not set');
  }
  const status = checkStatus(input.status);
  const fields = checkFields(input.fields);
  return {
    id: input.id,
    name: input.name,
    tags: [...input.tags],
    fields,
    storage: { ...input.storage },
    namespace: input.namespace,
    status,
    createdAt: input.createdAt,
  };
}

/**
 * Applies a partial update (public-api.md §6.3): each empty/zero member keeps the stored value;
 * non-empty `tags`/`fields` replace the whole list (fields validated as at registration).
 * @throws InvalidArgument for an unknown status or a bad field
 */
export function applyUpdate(stored: Whiteboard, update: WhiteboardInput): Whiteboard {
  checkWhiteboardLimits(update);
  const keep = (next: string, current: string) => (next === '' ? current : next);
  return {
    id: stored.id,
    name: keep(update.name, stored.name),
    tags: update.tags.length === 0 ? stored.tags : [...update.tags],
    fields: update.fields.length === 0 ? stored.fields : checkFields(update.fields),
    storage: {
      name: keep(update.storage.name, stored.storage.name),
      description: keep(update.storage.description, stored.storage.description),
      uri: keep(update.storage.uri, stored.storage.uri),
    },
    namespace: keep(update.namespace, stored.namespace),
    status: update.status === undefined ? stored.status : checkStatus(update.status),
    createdAt:
      update.createdAt === undefined || update.createdAt.seconds === 0
        ? stored.createdAt
        : update.createdAt,
  };
}

/** List filters (public-api.md §6.3): all given conditions must hold; bounds are inclusive. */
export interface WhiteboardFilter {
  /** Exact name; undefined = any. */
  name?: string;
  /** The whiteboard must carry every one of them. */
  tags: string[];
  from?: ExactTime;
  to?: ExactTime;
}
