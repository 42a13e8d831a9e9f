export { startAllocator } from './service.ts';
export type { AllocatorDeps, RunningAllocator } from './service.ts';
export { loadAllocatorConfig } from './config.ts';
export type { AllocatorConfig } from './config.ts';
export { allocatorMigrations } from './db/migrations/index.ts';
export type { VmBackend, VmFailure, VmIdentityIssuer, VmLaunch, VmRef } from './domain/ports.ts';
