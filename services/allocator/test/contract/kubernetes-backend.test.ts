import { useKubernetes, usePostgres } from '@lzy/testing';
import { describeAllocatorContract } from './allocator-contract.ts';
import { describeKubeCases } from './kube-cases.ts';
import { kubeHarness, useKubeNamespace } from './kube-harness.ts';

const pg = usePostgres();
const kube = useKubernetes();
const ns = useKubeNamespace(kube);
const harness = kubeHarness({ kube, ns, dbUrl: () => pg.url });

// One file, run in order: both suites share the pool nodes of the clusters.
describeAllocatorContract('kubernetes', harness);
describeKubeCases(ns, harness);
