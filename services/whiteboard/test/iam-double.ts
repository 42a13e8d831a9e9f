import { verifyLzyJwt } from '@lzy/auth';
import { PermissionDenied } from '@lzy/errors';
import { INTERNAL_SUBJECT_ID, implement, requireServiceCaller, startGrpcServer } from '@lzy/grpc';
import type { Authenticator, GrpcServer, Subject } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { iamAccessBindingService, iamAccessService, iamAuthService } from '@lzy/proto';

/** Permissions of the whiteboard roles (public-api.md §3.11). */
const ROLE_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  'lzy.whiteboard.owner': [
    'lzy.whiteboard.get',
    'lzy.whiteboard.create',
    'lzy.whiteboard.update',
    'lzy.whiteboard.delete',
  ],
  'lzy.whiteboard.reader': ['lzy.whiteboard.get'],
};

/**
 * A small real iam over gRPC for the whiteboard tests: Authenticate, SetAccessBindings and
 * Authorize, holding bindings in memory. End users authenticate with `Bearer <subjectId>` (the
 * one-time-token form of the header); the internal identity with a JWT signed by its key.
 */
export class IamDouble {
  readonly #bindings = new Map<string, { role: string; subjectId: string }[]>();
  readonly #internalPublicKeyPem: string;
  #server: GrpcServer | undefined;
  /** While set, SetAccessBindings fails with this error. */
  failBindingsWith: Error | undefined;

  constructor(internalPublicKeyPem: string) {
    this.#internalPublicKeyPem = internalPublicKeyPem;
  }

  get address(): string {
    if (this.#server === undefined) throw new Error('IamDouble is not started');
    return `127.0.0.1:${this.#server.port}`;
  }

  /** Gives `subjectId` a role on a whiteboard, as sharing it would. */
  bind(whiteboardId: string, role: string, subjectId: string): void {
    const key = `whiteboard/${whiteboardId}`;
    this.#bindings.set(key, [...(this.#bindings.get(key) ?? []), { role, subjectId }]);
  }

  rolesOf(whiteboardId: string, subjectId: string): string[] {
    return (this.#bindings.get(`whiteboard/${whiteboardId}`) ?? [])
      .filter((b) => b.subjectId === subjectId)
      .map((b) => b.role);
  }

  async start(log: Logger): Promise<void> {
    const authenticator: Authenticator = {
      authenticate: (authorization) => Promise.resolve(this.#subjectOf(authorization)),
    };
    this.#server = await startGrpcServer({
      name: 'iam-double',
      port: 0,
      log,
      authenticator,
      services: [
        implement(iamAuthService.LzyAuthenticateServiceService, {
          authenticate: (_request, ctx) => Promise.resolve(ctx.subject!),
        }),
        implement(iamAccessBindingService.LzyAccessBindingServiceService, {
          listAccessBindings: 'unimplemented',
          updateAccessBindings: 'unimplemented',
          setAccessBindings: (request, ctx) => {
            requireServiceCaller(ctx);
            if (this.failBindingsWith !== undefined) throw this.failBindingsWith;
            for (const binding of request.bindings) {
              this.bind(request.resource!.id, binding.role, binding.subject!.id);
            }
            return Promise.resolve({});
          },
        }),
        implement(iamAccessService.LzyAccessServiceService, {
          authorize: (request, ctx) => {
            requireServiceCaller(ctx);
            const resource = request.resource!;
            const subject = request.subject!;
            const allowed = (this.#bindings.get(`${resource.type}/${resource.id}`) ?? []).some(
              (b) =>
                b.subjectId === subject.id &&
                (ROLE_PERMISSIONS[b.role] ?? []).includes(request.permission),
            );
            if (!allowed) throw new PermissionDenied('');
            return Promise.resolve(subject);
          },
        }),
      ],
    });
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }

  #subjectOf(authorization: string): Subject {
    const token = authorization.slice('Bearer '.length);
    if (!token.includes('.')) return { id: token, type: 'USER' };
    const claims = verifyLzyJwt(token, [this.#internalPublicKeyPem], { nowMs: Date.now() });
    if (claims.iss !== INTERNAL_SUBJECT_ID) throw new PermissionDenied('');
    return { id: INTERNAL_SUBJECT_ID, type: 'USER' };
  }
}
