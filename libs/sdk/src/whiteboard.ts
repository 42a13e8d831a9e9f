import { randomUUID } from 'node:crypto';
import { AlreadyExists, InvalidArgument } from '@lzy/errors';
import { lzyWhiteboard } from '@lzy/proto';
import type { DataStore } from './data-store.ts';
import type { LzyClients } from './lzy-clients.ts';
import { LzyResult } from './lzy-result.ts';

export interface WhiteboardOptions {
  tags?: string[];
}

/** How SDK values are described in a whiteboard field (the service requires non-blank names). */
export const FIELD_SCHEME = {
  dataFormat: 'lzy-ts',
  schemeFormat: 'tagged-json-or-bytes',
  schemeContent: '',
  metadata: {},
};

interface WhiteboardDeps {
  name: string;
  tags: string[];
  storageUri: string;
  clients: LzyClients;
  data: DataStore;
  owner: object;
  /** Whether the call with this id has finished successfully (its result is in storage). */
  isDone(callId: string): boolean;
}

type PendingSet = { field: string; value: unknown } | { field: string; result: LzyResult<unknown> };

/**
 * A whiteboard being filled by a workflow. `set` records a field; the value is written to
 * `<uri>/<field>` (an op result is copied inside S3 once its graph has run) and the whiteboard
 * is registered with its first field (the service refuses a whiteboard without fields), updated
 * as more fields come, and finalized when the workflow finishes.
 */
export class Whiteboard {
  readonly id = randomUUID();
  readonly name: string;
  readonly tags: readonly string[];
  /** `<storage uri>/whiteboards/<name>/<id>` (public-api §10). */
  readonly uri: string;
  readonly #deps: WhiteboardDeps;
  readonly #pending: PendingSet[] = [];
  readonly #fields: string[] = [];
  readonly #createdAt = new Date();
  #registered = false;

  constructor(deps: WhiteboardDeps) {
    if (!/^[\w.-]+$/.test(deps.name)) {
      throw new InvalidArgument(
        `whiteboard name '${deps.name}' may hold only letters, digits, _ . -`,
      );
    }
    this.#deps = deps;
    this.name = deps.name;
    this.tags = [...deps.tags];
    this.uri = `${deps.storageUri}/whiteboards/${deps.name}/${this.id}`;
  }

  /** Sets `field` to a value or an op result of this workflow (written after its graph ran). */
  set(field: string, value: unknown): void {
    if (!/^[\w.-]+$/.test(field) || field.startsWith('.')) {
      throw new InvalidArgument(`whiteboard field '${field}' may hold only letters, digits, _ . -`);
    }
    if (value instanceof LzyResult) {
      const ref = value.call;
      if (ref === undefined || ref.owner !== this.#deps.owner) {
        throw new InvalidArgument(
          `whiteboard field '${field}': the result is not of this workflow`,
        );
      }
      this.#pending.push({ field, result: value as LzyResult<unknown> });
    } else {
      this.#pending.push({ field, value });
    }
  }

  /** Writes every field whose value is ready, then registers or updates the whiteboard. */
  async flush(): Promise<void> {
    const ready = this.#pending.filter(
      (set) => !('result' in set) || this.#deps.isDone(set.result.call?.callId ?? ''),
    );
    if (ready.length === 0) return;
    for (const set of ready) {
      const target = `${this.uri}/${set.field}`;
      if ('result' in set) await this.#deps.data.copy(set.result.call?.returnUri ?? '', target);
      else await this.#deps.data.put(target, set.value);
      this.#pending.splice(this.#pending.indexOf(set), 1);
      if (!this.#fields.includes(set.field)) this.#fields.push(set.field);
    }
    const { whiteboards } = this.#deps.clients;
    const fields = this.#fields.map((name) => ({ name, scheme: FIELD_SCHEME }));
    if (this.#registered) {
      await this.#deps.clients.call(whiteboards.updateWhiteboard.bind(whiteboards), {
        whiteboard: { ...this.#empty(), fields },
      });
      return;
    }
    const register = this.#deps.clients.call(whiteboards.registerWhiteboard.bind(whiteboards), {
      whiteboard: {
        ...this.#empty(),
        name: this.name,
        tags: [...this.tags],
        fields,
        storage: { name: 'provided_default_storage', description: '', uri: this.uri },
        namespace: 'default',
        status: lzyWhiteboard.Whiteboard_Status.CREATED,
        createdAt: this.#createdAt,
      },
    });
    // Our id is a fresh UUID: AlreadyExists means an attempt whose answer was lost got through.
    await register.catch((err: unknown) => {
      if (!(err instanceof AlreadyExists)) throw err;
    });
    this.#registered = true;
  }

  /** Marks the whiteboard FINALIZED (no-op if no field was ever written). */
  async finalize(): Promise<void> {
    if (!this.#registered) return;
    const { whiteboards } = this.#deps.clients;
    await this.#deps.clients.call(whiteboards.updateWhiteboard.bind(whiteboards), {
      whiteboard: { ...this.#empty(), status: lzyWhiteboard.Whiteboard_Status.FINALIZED },
    });
  }

  /** An update that keeps every member (public-api §6.3: empty means keep). */
  #empty(): lzyWhiteboard.Whiteboard {
    return {
      id: this.id,
      name: '',
      tags: [],
      fields: [],
      storage: undefined,
      namespace: '',
      status: lzyWhiteboard.Whiteboard_Status.WHITEBOARD_STATUS_UNSPECIFIED,
      createdAt: undefined,
    };
  }
}
