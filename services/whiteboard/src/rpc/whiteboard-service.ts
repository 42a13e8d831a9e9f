import { InvalidArgument, ResourceExhausted, Unauthenticated } from '@lzy/errors';
import { implement, rejectNulCharacters } from '@lzy/grpc';
import type { CallContext, ServiceRegistration, Subject } from '@lzy/grpc';
import type { Whiteboards } from '../domain/whiteboards.ts';
import { encodeWhiteboards, whiteboardServiceDefinition } from './whiteboard-wire.ts';
import type { ListQuery, WhiteboardRequest } from './whiteboard-wire.ts';

export interface WhiteboardServiceDeps {
  whiteboards: Whiteboards;
  /** Largest response we send (LZY_MAX_RESPONSE_BYTES). */
  maxResponseBytes: number;
  /** Throws Unavailable while the database is not migrated yet. */
  assertReady: () => void;
}

/**
 * The authenticated caller, once the request has no NUL in any string (PostgreSQL stores none;
 * issue 13 item 10).
 */
function callerOf(request: unknown, ctx: CallContext): Subject {
  // Every method requires auth, so the bootstrap has set it; guard against a policy change.
  if (ctx.subject === undefined) throw new Unauthenticated('Authorization header is missing');
  rejectNulCharacters(request);
  return ctx.subject;
}

function whiteboardOf(request: WhiteboardRequest) {
  if (request.whiteboard === undefined) throw new InvalidArgument('whiteboard is not set');
  return request.whiteboard;
}

function filterOf(query: ListQuery) {
  return {
    ...(query.name === '' ? {} : { name: query.name }),
    tags: query.tags,
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
  };
}

/** ai.lzy.v1.whiteboard.LzyWhiteboardService (public-api.md §3.3, §6.3): any authenticated user. */
export function whiteboardService(deps: WhiteboardServiceDeps): ServiceRegistration {
  const { whiteboards, maxResponseBytes, assertReady } = deps;
  return implement(whiteboardServiceDefinition, {
    registerWhiteboard: async (request, ctx) => {
      assertReady();
      await whiteboards.register(whiteboardOf(request), callerOf(request, ctx));
      return {};
    },
    updateWhiteboard: async (request, ctx) => {
      assertReady();
      await whiteboards.update(whiteboardOf(request), callerOf(request, ctx));
      return {};
    },
    get: async (request, ctx) => {
      assertReady();
      const whiteboard = await whiteboards.get(request.whiteboardId, callerOf(request, ctx));
      return encodeWhiteboards([whiteboard]);
    },
    list: async (query, ctx) => {
      assertReady();
      const found = await whiteboards.list(filterOf(query), callerOf(query, ctx));
      const response = encodeWhiteboards(found);
      // No pagination in the protocol: an answer the client cannot receive becomes an error
      // that tells the user how to get a smaller one.
      if (response.length > maxResponseBytes) {
        throw new ResourceExhausted(
          `${found.length} whiteboards match (${response.length} bytes), more than the ${maxResponseBytes} bytes a response may carry; narrow the filter by name, tags or creation time`,
        );
      }
      return response;
    },
  });
}
