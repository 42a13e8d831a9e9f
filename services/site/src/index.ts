export { startSite } from './service.ts';
export type { SiteDeps, RunningSite } from './service.ts';
export { loadSiteConfig } from './config.ts';
export type { SiteConfig } from './config.ts';
