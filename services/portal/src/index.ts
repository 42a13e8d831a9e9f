export { startPortal } from './service.ts';
export type { PortalDeps, RunningPortal } from './service.ts';
export { loadPortalConfig } from './config.ts';
export type { PortalConfig } from './config.ts';
