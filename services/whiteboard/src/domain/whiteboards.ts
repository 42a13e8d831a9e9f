import { InvalidArgument, NotFound, PermissionDenied } from '@lzy/errors';
import type { Subject } from '@lzy/grpc';
import {
  applyUpdate,
  checkQueryLimits,
  checkWhiteboardLimits,
  validateRegistration,
} from './whiteboard.ts';
import type { Whiteboard, WhiteboardFilter, WhiteboardInput } from './whiteboard.ts';
import type { WhiteboardAccess } from './whiteboard-access.ts';

/** The storage port of the whiteboard rules (db/whiteboard-store.ts). */
export interface WhiteboardRepository {
  /**
   * Inserts the whiteboard owned by `ownerId`, then runs `afterInsert` in the same transaction:
   * if it throws, nothing is stored.
   * @throws AlreadyExists if the id is taken
   */
  insert(whiteboard: Whiteboard, ownerId: string, afterInsert: () => Promise<void>): Promise<void>;
  /** Replaces the stored record with `next` computed from the current one, atomically. @throws NotFound */
  update(id: string, change: (current: Whiteboard) => Whiteboard): Promise<void>;
  find(id: string): Promise<Whiteboard | undefined>;
  /** Whiteboards of `ownerId` matching `filter`, oldest first. */
  list(ownerId: string, filter: WhiteboardFilter): Promise<Whiteboard[]>;
}

export interface WhiteboardsDeps {
  repository: WhiteboardRepository;
  access: WhiteboardAccess;
  /** Largest encoded whiteboard we accept, so that Get can always answer it. */
  maxWhiteboardBytes: number;
  /** Size of a whiteboard as the client will receive it. */
  encodedSize: (whiteboard: Whiteboard) => number;
}

const notFound = (id: string) => new NotFound(`Whiteboard '${id}' not found`);

/** The whiteboard rules of public-api.md §6.3 and §7.1. */
export class Whiteboards {
  readonly #deps: WhiteboardsDeps;

  constructor(deps: WhiteboardsDeps) {
    this.#deps = deps;
  }

  /**
   * Stores a new whiteboard and makes the caller its owner in iam; when iam fails nothing is stored.
   * @throws InvalidArgument (validation, too large), AlreadyExists (id taken), iam's error
   */
  async register(input: WhiteboardInput, caller: Subject): Promise<void> {
    const whiteboard = this.#checkSize(validateRegistration(input));
    await this.#deps.repository.insert(whiteboard, caller.id, () =>
      this.#deps.access.grantOwner(whiteboard.id, caller),
    );
  }

  /**
   * Partial update (empty members keep the stored value).
   * @throws InvalidArgument, NotFound (unknown id), PermissionDenied (no access)
   */
  async update(input: WhiteboardInput, caller: Subject): Promise<void> {
    if (input.id.trim() === '') throw new InvalidArgument('whiteboard.id is blank');
    checkWhiteboardLimits(input);
    if ((await this.#deps.repository.find(input.id)) === undefined) throw notFound(input.id);
    if (!(await this.#deps.access.canUpdate(caller, input.id))) {
      throw new PermissionDenied(`No access to whiteboard '${input.id}'`);
    }
    await this.#deps.repository.update(input.id, (current) =>
      this.#checkSize(applyUpdate(current, input)),
    );
  }

  /** @throws InvalidArgument (blank id), NotFound (unknown, or the caller may not read it) */
  async get(id: string, caller: Subject): Promise<Whiteboard> {
    if (id.trim() === '') throw new InvalidArgument('whiteboardId is blank');
    checkQueryLimits({ id });
    const whiteboard = await this.#deps.repository.find(id);
    // Existence is not revealed to someone who may not read it (public-api.md §6.3).
    if (whiteboard === undefined || !(await this.#deps.access.canRead(caller, id))) {
      throw notFound(id);
    }
    return whiteboard;
  }

  /** The caller's own whiteboards matching the filter. */
  list(filter: WhiteboardFilter, caller: Subject): Promise<Whiteboard[]> {
    checkQueryLimits(filter);
    return this.#deps.repository.list(caller.id, filter);
  }

  #checkSize(whiteboard: Whiteboard): Whiteboard {
    const size = this.#deps.encodedSize(whiteboard);
    if (size > this.#deps.maxWhiteboardBytes) {
      throw new InvalidArgument(
        `whiteboard is ${size} bytes encoded, over the ${this.#deps.maxWhiteboardBytes} a client can receive; use fewer or smaller fields`,
      );
    }
    return whiteboard;
  }
}
