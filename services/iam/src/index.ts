/**
 * @lzy/iam — subjects, credentials, roles and access bindings; verifies every service's callers
 * (public-api §3.11, §4). Users for the local suite are made over gRPC as the internal identity
 * (`CreateSubject` GITHUB/USER with a PUBLIC_KEY credential, signed with the private half of
 * `LZY_IAM_INTERNAL_PUBLIC_KEY`): no extra programmatic API.
 */
export { startIam } from './service.ts';
export type { IamDeps, RunningIam } from './service.ts';
export { loadIamConfig } from './config.ts';
export type { IamConfig } from './config.ts';
export { iamMigrations } from './db/migrations/index.ts';
