export { startScheduler } from './service.ts';
export type { SchedulerDeps, RunningScheduler } from './service.ts';
export { loadSchedulerConfig } from './config.ts';
export type { SchedulerConfig } from './config.ts';
export { schedulerMigrations } from './db/migrations/index.ts';
