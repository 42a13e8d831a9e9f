export { CleanupStack, type Stoppable } from './cleanup-stack.ts';
export { freePort } from './free-port.ts';
export { pollUntil, type PollOptions } from './poll-until.ts';
export { PostgresAdmin, type PostgresInfo } from './postgres-admin.ts';
export { startPostgres, type PostgresCluster, type StartPostgresOptions } from './postgres.ts';
export { createTemplateDatabase, type Migrate } from './postgres-template.ts';
export {
  testDatabase,
  testPostgres,
  usePostgres,
  type TemplateSpec,
  type TestDatabase,
} from './postgres-fixtures.ts';
export { s3Client, startS3, type S3Config, type S3Server, type StartS3Options } from './s3.ts';
export { s3Config, testBucket } from './s3-fixtures.ts';
export { testEncryptionKeys } from './encryption-keys.ts';
export { versitygwPath } from './versitygw-bin.ts';
export { checkHealth } from './service-health.ts';
export {
  runServiceProcessToExit,
  startServiceProcess,
  type ProcessExit,
  type ServiceProcess,
} from './service-process.ts';
export { describeServiceProcess } from './service-process-contract.ts';
export {
  GPU_TAINT,
  K8S_VERSION,
  kubeTools,
  poolNodeName,
  readTestPools,
  startKubernetes,
  stopKubernetes,
  TEST_POOLS_PATH,
  useKubernetes,
  realNodeUnavailable,
  startRealNodes,
  type ClusterDns,
  type KubeCluster,
  type RealNodes,
  type RealNodeSpec,
  type StartRealNodesOptions,
  type KubeTools,
  type StartKubernetesOptions,
  type TestKubernetes,
  type TestPool,
} from './kubernetes.ts';
export { hostEnv } from './host-env.ts';
