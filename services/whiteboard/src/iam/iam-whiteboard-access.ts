import { PermissionDenied, Unavailable } from '@lzy/errors';
import { unaryCall } from '@lzy/grpc';
import type { Subject } from '@lzy/grpc';
import type { iamAccessBindingService, iamAccessService } from '@lzy/proto';
import type { WhiteboardAccess } from '../domain/whiteboard-access.ts';

const OWNER_ROLE = 'lzy.whiteboard.owner';
const GET_PERMISSION = 'lzy.whiteboard.get';

const resourceOf = (whiteboardId: string) => ({ id: whiteboardId, type: 'whiteboard' });

export interface IamWhiteboardAccessDeps {
  /** Both made with createChannelClient(…, { callCredentials: internalCallCredentials(…) }). */
  accessBindings: iamAccessBindingService.LzyAccessBindingServiceClient;
  access: iamAccessService.LzyAccessServiceClient;
  /** Deadline of each iam call (ms). */
  deadlineMs: number;
}

/** WhiteboardAccess decided by iam (public-api.md §3.11: whiteboard resource, owner role). */
export class IamWhiteboardAccess implements WhiteboardAccess {
  readonly #deps: IamWhiteboardAccessDeps;

  constructor(deps: IamWhiteboardAccessDeps) {
    this.#deps = deps;
  }

  /**
   * iam unreachable stays UNAVAILABLE (transient); any other refusal is our own misconfiguration
   * (e.g. no internal key), not the user's fault: INTERNAL (public-api.md §7.1), details logged.
   */
  async grantOwner(whiteboardId: string, subject: Subject): Promise<void> {
    const client = this.#deps.accessBindings;
    try {
      await unaryCall(
        client.setAccessBindings.bind(client),
        {
          resource: resourceOf(whiteboardId),
          bindings: [{ role: OWNER_ROLE, subject: { id: subject.id, type: subject.type } }],
        },
        { deadlineMs: this.#deps.deadlineMs },
      );
    } catch (err) {
      if (err instanceof Unavailable) throw err;
      throw new Error(`iam refused the owner binding of whiteboard '${whiteboardId}'`, {
        cause: err,
      });
    }
  }

  canRead(subject: Subject, whiteboardId: string): Promise<boolean> {
    return this.#authorize(subject, GET_PERMISSION, whiteboardId);
  }

  /**
   * Read access suffices (public-api.md §6.3, as Java): pylzy calls UpdateWhiteboard when a
   * reader's storage copy differs from the index, so `update` would break reading a shared board.
   */
  canUpdate(subject: Subject, whiteboardId: string): Promise<boolean> {
    return this.#authorize(subject, GET_PERMISSION, whiteboardId);
  }

  async #authorize(subject: Subject, permission: string, whiteboardId: string): Promise<boolean> {
    const client = this.#deps.access;
    try {
      await unaryCall(
        client.authorize.bind(client),
        {
          subject: { id: subject.id, type: subject.type },
          permission,
          resource: resourceOf(whiteboardId),
        },
        { deadlineMs: this.#deps.deadlineMs },
      );
      return true;
    } catch (err) {
      if (err instanceof PermissionDenied) return false;
      throw err;
    }
  }
}
