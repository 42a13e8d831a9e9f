export { startChannelManager } from './service.ts';
export type { ChannelManagerDeps, RunningChannelManager } from './service.ts';
export { loadChannelManagerConfig } from './config.ts';
export type { ChannelManagerConfig } from './config.ts';
