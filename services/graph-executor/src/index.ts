export { startGraphExecutor } from './service.ts';
export type { GraphExecutorDeps, RunningGraphExecutor } from './service.ts';
export { loadGraphExecutorConfig } from './config.ts';
export type { GraphExecutorConfig } from './config.ts';
