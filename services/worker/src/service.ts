import { mkdir } from 'node:fs/promises';
import { PresignedUploader } from '@lzy/blob';
import { startGrpcServer } from '@lzy/grpc';
import type { Authenticator, Clock, GrpcServer } from '@lzy/grpc';
import type { Logger } from '@lzy/logging';
import { InMemoryOperations } from '@lzy/operations';
import { AllocatorAgent } from './clients/allocator-agent.ts';
import { ChannelManagerClient, MissingChannelManager } from './clients/channel-manager-client.ts';
import { StdLogTee } from './clients/std-log-tee.ts';
import { createOpImageRunner } from './containers/op-image-runner.ts';
import { PortalStdClient } from './clients/portal-std-client.ts';
import { SlotsClient } from './clients/slots-client.ts';
import type { WorkerConfig } from './config.ts';
import { LocalOutputs } from './domain/local-outputs.ts';
import { OpHosts } from './domain/op-hosts.ts';
import { SlotTable } from './domain/slot-table.ts';
import { PythonEnvironments } from './env/python-environments.ts';
import { Worker } from './domain/worker.ts';
import { inboundAuthenticator, outboundCredentials } from './identity.ts';
import { longRunningService, operationsService } from './rpc/operations-rpc.ts';
import { slotsService } from './rpc/slots-service.ts';
import { workerService } from './rpc/worker-service.ts';

export interface WorkerDeps {
  log: Logger;
  clock?: Clock;
  /** Overrides the authenticator chosen from the config (tests). */
  authenticator?: Authenticator;
  /** VM mode: the allocator said this VM is gone; main.ts ends the process. Default: log only. */
  onVmGone?: () => void;
}

export interface RunningWorker {
  port: number;
  metricsPort?: number;
  /** `host:port` the worker advertises (slot URIs, Register endpoint). */
  address: string;
  /** Stops running tasks, drains in-flight calls (up to the configured grace), then stops. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the worker (reference §7): WorkerService, SlotsService and its operations on one port.
 * With a VM identity in the config it then registers with the allocator and heartbeats; a
 * failed Register fails the start (the allocator sees the VM process exit).
 */
export async function startWorker(config: WorkerConfig, deps: WorkerDeps): Promise<RunningWorker> {
  const clock = deps.clock ?? { now: () => Date.now() };
  const log = deps.log;
  await mkdir(config.mountDir, { recursive: true });
  const credentials = outboundCredentials(config, clock);
  const inbound = inboundAuthenticator(config, clock);
  const channelManager =
    config.channelManagerAddress === undefined
      ? new MissingChannelManager()
      : new ChannelManagerClient(config.channelManagerAddress, credentials);
  const slotReader = new SlotsClient(credentials);
  const portalStd = new PortalStdClient({ callCredentials: credentials, log });
  const stdSink = config.opOutputToLog
    ? new StdLogTee({ inner: portalStd, stdout: process.stdout, stderr: process.stderr })
    : portalStd;
  const partWriter = new PresignedUploader();
  const closeClients = () => {
    partWriter.close();
    if (channelManager instanceof ChannelManagerClient) channelManager.close();
    slotReader.close();
    portalStd.close();
    inbound.close();
  };
  const slots = new SlotTable();
  const { PATH, HOME, LANG } = config.commandEnv;
  const opHosts = config.opHost
    ? new OpHosts({
        log,
        cwd: config.mountDir,
        env: { PATH, LANG, HOME: HOME ?? config.mountDir },
      })
    : undefined;
  const opImages = createOpImageRunner(config.opImages, PATH);
  const operations = new InMemoryOperations({ clock });
  const pythonEnvs = new PythonEnvironments(config.python, { log });
  let address = '';
  const worker = new Worker({
    channelManager,
    slotReader,
    stdSink,
    opImages,
    slots,
    operations,
    log: log.child({ component: 'worker' }),
    stopGraceMs: config.stopGraceMs,
    commandEnv: config.commandEnv,
    pythonEnvs,
    opHosts,
    localOutputs: new LocalOutputs(),
    mountDir: config.mountDir,
    address: () => address,
  });

  let server: GrpcServer;
  try {
    server = await startGrpcServer({
      name: 'worker',
      ...config.server,
      log,
      authenticator: deps.authenticator ?? inbound.authenticator,
      services: [
        workerService(worker),
        slotsService({
          slots,
          partWriter,
          log: log.child({ component: 'slot-upload' }),
          userOf: () => worker.userId,
        }),
        longRunningService(operations),
        operationsService(operations),
      ],
    });
  } catch (err) {
    closeClients();
    throw err;
  }
  address = `${config.advertisedHost}:${server.port}`;

  let agent: AllocatorAgent | undefined;
  if (config.vm !== undefined && credentials !== undefined) {
    agent = new AllocatorAgent({
      vm: config.vm,
      callCredentials: credentials,
      log,
      onVmGone: deps.onVmGone ?? (() => undefined),
    });
    try {
      await agent.start(address);
    } catch (err) {
      agent.stop();
      await server.stop();
      closeClients();
      throw err;
    }
  }

  // Ready for its first task: the op host's start now overlaps the task's set-up.
  void opHosts?.prestart();

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    agent?.stop();
    await worker.stopAll('the worker is stopping');
    await opHosts?.stop();
    await pythonEnvs.stop();
    await server.stop();
    closeClients();
  };
  return {
    port: server.port,
    metricsPort: server.metricsPort,
    address,
    stop: () => (stopping ??= stop()),
  };
}
