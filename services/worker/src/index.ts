export { startWorker } from './service.ts';
export type { WorkerDeps, RunningWorker } from './service.ts';
export { loadWorkerConfig } from './config.ts';
export type { WorkerConfig } from './config.ts';
