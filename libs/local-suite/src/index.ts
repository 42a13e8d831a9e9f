export { DEFAULT_PORTS, startLocalSuite } from './local-suite.ts';
export type { LocalSuite, LocalSuiteOptions } from './local-suite.ts';
export { startSuiteProcesses } from './suite-processes.ts';
export { SUITE_SERVICES, databaseNameOf, suiteServiceEnv } from './suite-env.ts';
export type { SuiteInfra, SuiteService } from './suite-env.ts';
export { ensureLocalUser } from './local-user.ts';
export { startUp } from './up.ts';
export type { RunningUp } from './up.ts';
