import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { InvalidArgument } from '@lzy/errors';
import { ROOT_RESOURCE_ID } from '../domain/roles.ts';
import type { IamDatabase } from './schema.ts';

export interface DirectoryUser {
  id: string;
  authProvider: string;
  login: string;
  createdAt: Date;
  publicKeyCount: number;
  rootRoles: string[];
}

const MAX_PAGE_SIZE = 1_000;
const DEFAULT_PAGE_SIZE = 100;

/** Read-only SQL of the user listing (SubjectDirectoryService). */
export class SubjectDirectory {
  readonly #db: Kysely<IamDatabase>;

  constructor(db: Kysely<IamDatabase>) {
    this.#db = db;
  }

  /**
   * USER subjects except the internal identity, by login, with their unexpired public keys counted and their roles on root.
   * The page token is the last login of the previous page.
   */
  async listUsers(
    pageSize: number,
    pageToken: string,
    now: Date,
  ): Promise<{ users: DirectoryUser[]; nextPageToken: string }> {
    const size = Math.min(pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize, MAX_PAGE_SIZE);
    const after = pageToken === '' ? undefined : loginOf(pageToken);
    const { rows } = await sql<{
      id: string;
      auth_provider: string;
      provider_subject_id: string;
      created_at: Date;
      public_key_count: number;
      root_roles: string[];
    }>`
      SELECT s.id, s.auth_provider, s.provider_subject_id, s.created_at,
             (SELECT count(*) FROM credential c
               WHERE c.subject_id = s.id AND c.type = 'PUBLIC_KEY'
                 AND (c.expired_at IS NULL OR c.expired_at > ${now}))::int AS public_key_count,
             ARRAY(SELECT b.role FROM access_binding b
                    WHERE b.subject_id = s.id AND b.resource_type = 'root'
                      AND b.resource_id = ${ROOT_RESOURCE_ID} ORDER BY b.role) AS root_roles
      FROM subject s
      WHERE s.type = 'USER' AND s.auth_provider <> 'INTERNAL'
        ${after === undefined ? sql`` : sql`AND s.provider_subject_id > ${after}`}
      ORDER BY s.provider_subject_id
      LIMIT ${size + 1}`.execute(this.#db);
    const page = rows.slice(0, size);
    const last = page.at(-1);
    return {
      users: page.map((row) => ({
        id: row.id,
        authProvider: row.auth_provider,
        login: row.provider_subject_id,
        createdAt: row.created_at,
        publicKeyCount: row.public_key_count,
        rootRoles: row.root_roles,
      })),
      nextPageToken:
        rows.length > size && last !== undefined
          ? Buffer.from(last.provider_subject_id).toString('base64url')
          : '',
    };
  }
}

function loginOf(pageToken: string): string {
  const login = Buffer.from(pageToken, 'base64url').toString('utf8');
  if (login === '') throw new InvalidArgument('page_token is not one this API returned');
  return login;
}
