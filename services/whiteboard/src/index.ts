export { startWhiteboard } from './service.ts';
export type { WhiteboardDeps, RunningWhiteboard } from './service.ts';
export { loadWhiteboardConfig } from './config.ts';
export type { WhiteboardConfig } from './config.ts';
export { whiteboardMigrations } from './db/migrations/index.ts';
