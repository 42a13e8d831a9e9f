import { describe, expect, it } from 'vitest';
import { ConfigError } from '@lzy/config';
import { loadAllocatorConfig } from './config.ts';

describe('loadAllocatorConfig', () => {
  it('defaults to the s and m worker pools and the portals system pool', () => {
    const config = loadAllocatorConfig({});
    expect(config.pools.map((p) => [p.label, p.clusterType, p.cpuType, p.gpuType])).toEqual([
      ['s', 'WORKER', 'Intel Cascade Lake', 'NO_GPU'],
      ['m', 'WORKER', 'Intel Cascade Lake', 'NO_GPU'],
      ['portals', 'SYSTEM', 'Intel Cascade Lake', 'NO_GPU'],
    ]);
  });

  it('names LZY_ALLOCATOR_POOLS when it is not a JSON array of pools', () => {
    expect(() => loadAllocatorConfig({ LZY_ALLOCATOR_POOLS: '{nope' })).toThrow(ConfigError);
    expect(() => loadAllocatorConfig({ LZY_ALLOCATOR_POOLS: '{nope' })).toThrow(
      /LZY_ALLOCATOR_POOLS/,
    );
  });

  it('requires LZY_INTERNAL_PRIVATE_KEY with LZY_IAM_ADDRESS', () => {
    expect(() => loadAllocatorConfig({ LZY_IAM_ADDRESS: 'iam:8443' })).toThrow(
      /LZY_INTERNAL_PRIVATE_KEY/,
    );
  });

  it('gives VMs no LZY_* variable of the allocator except the passthrough ones', () => {
    const config = loadAllocatorConfig({
      PATH: '/bin',
      LZY_DB_URL: 'postgres://secret@db/x',
      LZY_LOG_LEVEL: 'debug',
      LZY_S3_ENDPOINT: 'http://s3',
      LZY_ALLOCATOR_LOCAL_VM_ENV_PASSTHROUGH: 'LZY_LOG_LEVEL,LZY_S3_ENDPOINT',
    });
    expect(config.local.inheritedEnv).toEqual({
      PATH: '/bin',
      LZY_LOG_LEVEL: 'debug',
      LZY_S3_ENDPOINT: 'http://s3',
    });
  });

  it('keeps one standby VM process per entry point unless told otherwise', () => {
    expect(loadAllocatorConfig({}).local.standbyVms).toBe(1);
    expect(loadAllocatorConfig({ LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '0' }).local.standbyVms).toBe(0);
    expect(() => loadAllocatorConfig({ LZY_ALLOCATOR_LOCAL_STANDBY_VMS: '-1' })).toThrow(
      /LZY_ALLOCATOR_LOCAL_STANDBY_VMS/,
    );
  });

  it("keeps VMs' compile cache in the user's cache directory; '' turns it off", () => {
    const compileCacheOf = (env: Record<string, string>) =>
      loadAllocatorConfig(env).local.compileCacheDir;
    expect(compileCacheOf({ HOME: '/home/a' })).toBe('/home/a/.cache/lzy-ts/node-compile-cache');
    expect(compileCacheOf({ HOME: '/home/a', XDG_CACHE_HOME: '/c' })).toBe(
      '/c/lzy-ts/node-compile-cache',
    );
    expect(compileCacheOf({})).toBeUndefined();
    expect(compileCacheOf({ HOME: '/home/a', LZY_ALLOCATOR_LOCAL_COMPILE_CACHE_DIR: '' })).toBe(
      undefined,
    );
    expect(compileCacheOf({ LZY_ALLOCATOR_LOCAL_COMPILE_CACHE_DIR: '/x' })).toBe('/x');
  });

  it('names the variables the kubernetes backend needs', () => {
    const load = () => loadAllocatorConfig({ LZY_ALLOCATOR_BACKEND: 'kubernetes' });
    expect(load).toThrow(/LZY_ALLOCATOR_ADVERTISED_ADDRESS/);
    expect(load).toThrow(/LZY_ALLOCATOR_WORKER_IMAGE/);
    expect(load).toThrow(/LZY_ALLOCATOR_PORTAL_IMAGE/);
  });

  it('defaults to local VMs and, on kubernetes, host networking in namespace lzy-vms', () => {
    expect(loadAllocatorConfig({}).backend).toBe('local');
    const config = loadAllocatorConfig({
      LZY_ALLOCATOR_BACKEND: 'kubernetes',
      LZY_ALLOCATOR_ADVERTISED_ADDRESS: 'allocator.lzy:8132',
      LZY_ALLOCATOR_WORKER_IMAGE: 'lzy/worker:1',
      LZY_ALLOCATOR_PORTAL_IMAGE: 'lzy/portal:1',
      LZY_ALLOCATOR_HOST_NETWORK: 'false',
    });
    expect(config.kube).toMatchObject({
      namespace: 'lzy-vms',
      hostNetwork: false,
      images: { WORKER: 'lzy/worker:1', SYSTEM: 'lzy/portal:1' },
      kubeconfigs: { WORKER: undefined, SYSTEM: undefined },
      requestPercent: 50,
    });
  });
});
