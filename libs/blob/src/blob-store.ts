import type { Readable } from 'node:stream';

/** Object bytes to store. Streams and iterables are consumed once and never fully buffered. */
export type BlobBody = Readable | Uint8Array | AsyncIterable<Uint8Array>;

export interface PutOptions {
  /**
   * Declared size (bytes). When given, a body of a different length is rejected with
   * InvalidArgument and nothing is stored. Omit it for bodies of unknown length.
   */
  readonly sizeBytes?: number;
  /** MIME type. S3 stores it as Content-Type; the filesystem store ignores it. */
  readonly contentType?: string;
}

/** Bytes `start` through `end`, both inclusive (as in HTTP Range and fs.createReadStream). */
export interface ByteRange {
  readonly start: number;
  /** Inclusive; omitted or past the last byte means "to the end of the object". */
  readonly end?: number;
}

export interface GetOptions {
  readonly range?: ByteRange;
}

/** What `head` and `list` report about one object. */
export interface BlobInfo {
  readonly key: string;
  readonly sizeBytes: number;
  readonly lastModified: Date;
  /** Opaque version tag; S3 provides it, the filesystem store does not. */
  readonly etag?: string;
}

export interface ListOptions {
  /** Continue after the previous page; pass the `nextPageToken` it returned. */
  readonly pageToken?: string;
  /** Maximum entries in this page, 1..1000. Defaults to 1000. */
  readonly limit?: number;
}

export interface BlobPage {
  /** Objects whose key starts with the prefix, in ascending UTF-8 byte order of the key. */
  readonly items: readonly BlobInfo[];
  /** Set when more objects may follow; pass it as `pageToken` to get them. */
  readonly nextPageToken?: string;
}

/**
 * Object storage for LZY data (channel payloads, whiteboard fields, logs): a flat namespace of
 * keys, like S3. Implementations: S3BlobStore (production) and FsBlobStore (local mode, tests);
 * one contract suite (libs/blob/test/blob-contract.ts) runs over both.
 *
 * Keys are 1..1024 UTF-8 bytes of slash-separated segments; a segment may not be empty, `.` or
 * `..`, and keys may not contain control characters or backslashes. Every method throws
 * InvalidArgument (from @lzy/errors) for a key breaking these rules.
 *
 * Do not make a key both an object and a prefix of others ("a" and "a/b"): AWS S3 and
 * FsBlobStore allow it, but posix-backed S3 servers such as versitygw reject the second put.
 * Failures to reach the backing store surface as Unavailable; anything else is a bug or a
 * misconfiguration (wrong bucket, credentials) and is thrown as is.
 */
export interface BlobStore {
  /**
   * Stores `body` under `key`, replacing any existing object atomically: readers see the old or
   * the new bytes, never a mix or a partial object. Streams with bounded memory (multipart for
   * large or unknown-size bodies). Resolves with the number of bytes stored. If the body stream
   * fails, rejects with its error and leaves the old object (or none) in place.
   */
  put(key: string, body: BlobBody, opts?: PutOptions): Promise<{ sizeBytes: number }>;

  /**
   * Streams the object (or `range` of it). Throws NotFound if there is no object at `key`, and
   * InvalidArgument if the range starts past the last byte (any range of an empty object does)
   * or `end < start`. The object is checked before resolving; the stream then only fails on I/O.
   */
  get(key: string, opts?: GetOptions): Promise<Readable>;

  /** Size and mtime of the object, or `undefined` if there is none (it does not throw NotFound). */
  head(key: string): Promise<BlobInfo | undefined>;

  /** Whether an object exists at `key`. */
  exists(key: string): Promise<boolean>;

  /** Removes the object. Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;

  /**
   * One page of the objects whose key starts with `prefix` ("" lists everything). Iterate all
   * pages with {@link listAll}. Throws InvalidArgument for a bad limit or page token.
   */
  list(prefix: string, opts?: ListOptions): Promise<BlobPage>;
}

/** Every object under `prefix`, fetching pages of `pageSize` (default 1000) as it goes. */
export async function* listAll(
  store: BlobStore,
  prefix: string,
  opts: { pageSize?: number } = {},
): AsyncGenerator<BlobInfo> {
  let pageToken: string | undefined;
  do {
    const page = await store.list(prefix, {
      ...(opts.pageSize === undefined ? {} : { limit: opts.pageSize }),
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    yield* page.items;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
}
