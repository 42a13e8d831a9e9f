export { startLzyService } from './service.ts';
export type { LzyServiceDeps, RunningLzyService } from './service.ts';
export { loadLzyServiceConfig } from './config.ts';
export type { LzyServiceConfig } from './config.ts';
