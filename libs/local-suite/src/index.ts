export { startLocalSuite } from './local-suite.ts';
export type { LocalSuite, LocalSuiteOptions } from './local-suite.ts';
