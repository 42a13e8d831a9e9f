export { startIam } from './service.ts';
export type { IamDeps, RunningIam } from './service.ts';
export { loadIamConfig } from './config.ts';
export type { IamConfig } from './config.ts';
