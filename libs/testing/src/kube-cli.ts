// Entry point of scripts/k8s/start.sh and stop.sh (run them rather than this file):
//   node libs/testing/src/kube-cli.ts start <dir>   starts both clusters, detached, and exits
//   node libs/testing/src/kube-cli.ts stop <dir>    stops what start left running in <dir>
import { resolve } from 'node:path';
import { startKubernetes, stopKubernetes } from './kubernetes.ts';

const [command, dirArg] = process.argv.slice(2);
if ((command !== 'start' && command !== 'stop') || dirArg === undefined) {
  console.error('usage: kube-cli.ts start|stop <dir>');
  process.exit(2);
}
const dir = resolve(dirArg);
if (command === 'stop') {
  await stopKubernetes(dir);
} else {
  const started = Date.now();
  const kube = await startKubernetes({ dir, detached: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.error(`clusters up in ${seconds} s; stop with: bash scripts/k8s/stop.sh ${dir}`);
  for (const c of [kube.worker, kube.system]) {
    console.error(`  ${c.name}: ${c.server}  KUBECONFIG=${c.kubeconfigPath}`);
  }
  console.log(`${dir}/clusters.json`);
}
