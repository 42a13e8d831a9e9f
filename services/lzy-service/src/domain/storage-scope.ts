import { InvalidArgument, PermissionDenied } from '@lzy/errors';
import type { lzyWorkflow } from '@lzy/proto';
import { LIMITS, checkLength, quoted } from './input-limits.ts';
import type { StorageConfig } from './ports.ts';

/** `s3://bucket[/prefix]` or `azure://container[/prefix]` split into its parts. */
export interface StorageLocation {
  scheme: 's3' | 'azure';
  bucket: string;
  /** Everything after `<bucket>/`, as written (the portal uses it literally as the key). */
  key: string;
}

const LOCATION = /^(s3|azure):\/\/([^/?#]+)(?:\/(.*))?$/s;
/** S3 bucket rules (3..63 of a-z 0-9 . -); Azure containers are a subset. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses a storage URI. A `..` segment is refused: S3 stores it literally but file-backed
 * servers and pylzy's pathlib normalisation (client protocol §3.5) read it as "up", so the same
 * URI could name an object outside the prefix it appears to be under.
 * @throws InvalidArgument naming `field`
 */
export function parseStorageUri(uri: string, field: string): StorageLocation {
  checkLength(uri, LIMITS.storageUriChars, field);
  const match = LOCATION.exec(uri);
  const [, scheme, bucket = '', key = ''] = match ?? [];
  if (scheme !== 's3' && scheme !== 'azure') {
    throw new InvalidArgument(`${field} ${quoted(uri)} is not s3://bucket/key or azure://…`);
  }
  if (!BUCKET.test(bucket)) {
    throw new InvalidArgument(`${field} ${quoted(uri)} does not name a valid bucket`);
  }
  if (key.split('/').includes('..')) {
    throw new InvalidArgument(`${field} ${quoted(uri)} has a ".." segment`);
  }
  return { scheme, bucket, key };
}

/** The key prefix a storage root stands for, as pylzy normalises it (no leading/trailing `/`). */
function rootPrefix(key: string): string {
  return key
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}

/**
 * Whether `uri` names an object inside `root` (same scheme and bucket; under its prefix, or
 * anywhere in the bucket for a whole-bucket root). Literal prefix match on the key the portal
 * will use, so `s3://b/p2/x` is not inside `s3://b/p`.
 */
function isInside(location: StorageLocation, root: StorageLocation): boolean {
  if (location.scheme !== root.scheme || location.bucket !== root.bucket) return false;
  const prefix = rootPrefix(root.key);
  if (prefix === '') return location.key.replaceAll('/', '') !== '';
  return location.key.startsWith(`${prefix}/`) && location.key.length > prefix.length + 1;
}

/**
 * Every storage URI of the graph (slots and data descriptions) must name an object inside the
 * execution's storage: the user's internal bucket, or the storage they gave at StartWorkflow
 * (issue 13 item 2). Otherwise the portal would read or write another user's bucket for them.
 * Runs before anything is claimed or created.
 * @throws InvalidArgument for a malformed URI; PermissionDenied naming a URI outside the storage
 */
export function checkGraphStorage(graph: lzyWorkflow.Graph, storage: StorageConfig): void {
  const root = parseStorageUri(storage.uri, 'the execution storage');
  const check = (uri: string, field: string) => {
    if (!isInside(parseStorageUri(uri, field), root)) {
      throw new PermissionDenied(
        `${field} ${quoted(uri)} is outside this execution's storage ${storage.uri}; keep data under it`,
      );
    }
  };
  graph.operations.forEach((op, i) => {
    op.inputSlots.forEach((s, j) =>
      check(s.storageUri, `graph.operations[${i}].inputSlots[${j}].storageUri`),
    );
    op.outputSlots.forEach((s, j) =>
      check(s.storageUri, `graph.operations[${i}].outputSlots[${j}].storageUri`),
    );
  });
  graph.dataDescriptions.forEach((d, i) =>
    check(d.storageUri, `graph.dataDescriptions[${i}].storageUri`),
  );
}

const SECRET_CHARS = 1024;
const ENDPOINT_CHARS = 2048;
const CONNECTION_STRING_CHARS = 8192;

/**
 * The shape of storage a user brings to StartWorkflow (public-api §3.5): a valid
 * `s3://bucket[/prefix]` with S3 credentials or `azure://…` with a connection string, and a
 * complete key: the portal given an empty one would fall back to its own credentials (the SDK's
 * default chain), reaching S3 as the installation instead of as the user.
 * @throws InvalidArgument naming what to fix
 */
export function checkUserStorage(storage: StorageConfig): void {
  const location = parseStorageUri(storage.uri, 'snapshotStorage.uri');
  const credentials = storage.credentials;
  if (credentials === undefined) throw new InvalidArgument('Credentials are not set');
  if (credentials.$case === 'azure') {
    const { connectionString } = credentials.value;
    if (location.scheme !== 'azure') {
      throw new InvalidArgument('snapshotStorage has Azure credentials for a non-azure:// uri');
    }
    if (connectionString.trim() === '') {
      throw new InvalidArgument('snapshotStorage.azure.connectionString is empty');
    }
    checkLength(
      connectionString,
      CONNECTION_STRING_CHARS,
      'snapshotStorage.azure.connectionString',
    );
    return;
  }
  if (location.scheme !== 's3') {
    throw new InvalidArgument('snapshotStorage has S3 credentials for a non-s3:// uri');
  }
  const { endpoint, accessToken, secretToken } = credentials.value;
  checkLength(endpoint, ENDPOINT_CHARS, 'snapshotStorage.s3.endpoint');
  checkLength(accessToken, SECRET_CHARS, 'snapshotStorage.s3.accessToken');
  checkLength(secretToken, SECRET_CHARS, 'snapshotStorage.s3.secretToken');
  if (accessToken.trim() === '' || secretToken.trim() === '') {
    throw new InvalidArgument(
      'snapshotStorage.s3 needs an accessToken and a secretToken (the key of your storage)',
    );
  }
}
