import { PermissionDenied, NotFound } from '@lzy/errors';
import { decodeLzyJwtUnverified, verifyLzyJwt } from '@lzy/auth';
import { implement, startGrpcServer } from '@lzy/grpc';
import type { CallContext, GrpcServer } from '@lzy/grpc';
import { iamAuthService, iamSubjectService, iamVmOwner } from '@lzy/proto';
import type { iam } from '@lzy/proto';
import { log } from './harness.ts';

interface StoredSubject {
  readonly id: string;
  readonly login: string;
  readonly type: string;
  readonly publicKeys: string[];
  /** Set by VmOwnerService.SetVmOwner. */
  ownerUserId?: string;
}

/**
 * Test double of iam's LzySubjectService, VmOwnerService and LzyAuthenticateService over real gRPC: subjects in a
 * map, JWTs verified against their keys (the internal identity's key is given). Records the
 * issuer of every subject-service call, which must be `lzy-internal`.
 */
export class IamDouble {
  readonly subjects = new Map<string, StoredSubject>();
  readonly callers: string[] = [];
  #server: GrpcServer | undefined;
  #next = 0;

  constructor(internalPublicKeyPem: string) {
    this.subjects.set('lzy-internal', {
      id: 'lzy-internal',
      login: 'lzy-internal',
      type: 'USER',
      publicKeys: [internalPublicKeyPem],
    });
  }

  get address(): string {
    return `127.0.0.1:${this.#server?.port ?? 0}`;
  }

  byLogin(login: string): StoredSubject | undefined {
    return [...this.subjects.values()].find((s) => s.login === login);
  }

  #authenticate(ctx: CallContext): StoredSubject {
    const token = (ctx.authorization ?? '').replace(/^Bearer /, '');
    const subject = this.byLogin(decodeLzyJwtUnverified(token).claims.iss);
    if (subject === undefined) throw new PermissionDenied('unknown subject');
    verifyLzyJwt(token, subject.publicKeys, { nowMs: Date.now() });
    return subject;
  }

  async start(): Promise<void> {
    const subjects = implement(
      iamSubjectService.LzySubjectServiceService,
      {
        createSubject: (request, ctx) => {
          this.callers.push(this.#authenticate(ctx).id);
          const id = `subject-${++this.#next}`;
          const publicKeys = request.credentials.map((c) => c.credentials);
          const login = request.providerSubjectId;
          this.subjects.set(id, { id, login, type: request.type, publicKeys });
          return Promise.resolve({ id, type: request.type });
        },
        removeSubject: (request, ctx) => {
          this.callers.push(this.#authenticate(ctx).id);
          this.subjects.delete(request.subject?.id ?? '');
          return Promise.resolve({});
        },
        findSubject: (request, ctx) => {
          this.callers.push(this.#authenticate(ctx).id);
          const found = this.byLogin(request.providerUserId);
          if (found === undefined) throw new NotFound('no such subject');
          return Promise.resolve({ subject: { id: found.id, type: found.type } });
        },
        getSubject: 'unimplemented',
        addCredentials: 'unimplemented',
        removeCredentials: 'unimplemented',
        listCredentials: 'unimplemented',
      },
      { auth: 'none' },
    );
    const auth = implement(
      iamAuthService.LzyAuthenticateServiceService,
      {
        authenticate: (_request, ctx) => {
          const subject = this.#authenticate(ctx);
          return Promise.resolve<iam.Subject>({ id: subject.id, type: subject.type });
        },
      },
      { auth: 'none' },
    );
    const owners = implement(
      iamVmOwner.VmOwnerServiceService,
      {
        setVmOwner: (request, ctx) => {
          this.callers.push(this.#authenticate(ctx).id);
          const subject = this.subjects.get(request.subjectId);
          if (subject === undefined) throw new NotFound('no such subject');
          subject.ownerUserId = request.ownerUserId;
          return Promise.resolve({});
        },
      },
      { auth: 'none' },
    );
    this.#server = await startGrpcServer({
      name: 'iam-double',
      port: 0,
      log,
      services: [subjects, owners, auth],
      shutdownGraceMs: 200,
    });
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }
}
