export { startStorage } from './service.ts';
export type { StorageDeps, RunningStorage } from './service.ts';
export { loadStorageConfig } from './config.ts';
export type { StorageConfig } from './config.ts';
