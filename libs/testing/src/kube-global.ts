import { readFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { CleanupStack } from './cleanup-stack.ts';
import { startKubernetes, type ProvidedKubernetes } from './kubernetes.ts';
import { kubeTools } from './kube-tools.ts';

/**
 * The global setup's Kubernetes part: starts both test clusters and registers their stop on
 * `stack`, or says why not (binaries missing: the run goes on, `useKubernetes()` throws). With
 * LZY_TEST_KUBERNETES unset, a run whose selected test files (and the modules they import from
 * their own folder) never mention useKubernetes/inject('kubernetes') starts no clusters: targeted
 * runs of other tests stay light. `on` always starts them, `off` never does.
 */
export async function startTestKubernetes(
  project: TestProject,
  stack: CleanupStack,
): Promise<ProvidedKubernetes> {
  const mode = process.env['LZY_TEST_KUBERNETES'];
  if (mode === 'off') {
    return { unavailable: 'Kubernetes test clusters disabled (LZY_TEST_KUBERNETES=off)' };
  }
  try {
    kubeTools();
  } catch (err) {
    return { unavailable: err instanceof Error ? err.message : String(err) };
  }
  if (mode !== 'on' && !(await runUsesKubernetes(project))) {
    return {
      unavailable:
        'Kubernetes test clusters not started: no selected test file mentions useKubernetes ' +
        "or inject('kubernetes') (set LZY_TEST_KUBERNETES=on to force)",
    };
  }
  const kube = stack.push(await startKubernetes());
  const { worker, system, tools } = kube;
  return { worker, system, tools };
}

const MENTIONS = /useKubernetes|inject\(\s*['"]kubernetes['"]/;
const RELATIVE_IMPORT = /(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g;

async function runUsesKubernetes(project: TestProject): Promise<boolean> {
  // Vitest keeps the CLI's file filters on an internal field; without it, assume yes.
  const filters = (project.vitest as unknown as { filenamePattern?: unknown }).filenamePattern;
  if (filters !== undefined && !isStringArray(filters)) return true;
  try {
    const { testFiles } = await project.globTestFiles(filters);
    const seen = new Set<string>();
    for (const file of testFiles) {
      if (await mentionsKubernetes(file, dirname(file), seen)) return true;
    }
    return false;
  } catch {
    return true;
  }
}

/** `file` or a module it imports relatively from within `root` (its test folder) uses clusters. */
async function mentionsKubernetes(file: string, root: string, seen: Set<string>): Promise<boolean> {
  if (seen.has(file)) return false;
  seen.add(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return false;
  }
  if (MENTIONS.test(text)) return true;
  for (const [, specifier] of text.matchAll(RELATIVE_IMPORT)) {
    const target = resolve(dirname(file), specifier ?? '');
    if (target.startsWith(root + sep) && (await mentionsKubernetes(target, root, seen))) {
      return true;
    }
  }
  return false;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
