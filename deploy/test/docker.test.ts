import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBuildContext, isIgnored, readDockerignore } from '../src/docker-context.ts';
import { REPO_DIR, run, runOk } from './tools.ts';

// Static checks of docker/Dockerfile (kube-e2e.test.ts builds and runs the images with podman):
// hadolint (Dockerfile rules + ShellCheck on every RUN) finds nothing at any level, the targets
// match what the chart and the allocator run, each target starts an existing main.ts as a
// non-root user, and .dockerignore keeps what the install needs while dropping local state.

const DOCKERFILE = join(REPO_DIR, 'docker', 'Dockerfile');
const SERVICES = [
  'iam',
  'storage',
  'channel-manager',
  'allocator',
  'scheduler',
  'graph-executor',
  'whiteboard',
  'lzy-service',
  'site',
];
const VMS = ['portal', 'worker'];

interface Stage {
  name: string;
  lines: string[];
}

let hadolint: string;
let scratch: string;
let stages: Stage[];

beforeAll(async () => {
  hadolint = (await runOk('bash', [join(REPO_DIR, 'docker', 'install-hadolint.sh')])).trim();
  scratch = await mkdtemp(join(tmpdir(), 'lzy-docker-'));
  stages = parseStages(await readFile(DOCKERFILE, 'utf8'));
}, 180_000);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Stages of a Dockerfile: `FROM … AS name` and the instructions (continuations joined) after it. */
function parseStages(text: string): Stage[] {
  const out: Stage[] = [];
  const joined = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim());
  for (const line of joined) {
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ name: from[1] ?? '', lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/** The stage and its ancestors (FROM <earlier stage>), nearest first. */
function lineage(name: string, text: string): Stage[] {
  const chain: Stage[] = [];
  let current: string | undefined = name;
  while (current !== undefined) {
    const stage = stages.find((s) => s.name === current);
    if (stage === undefined) break;
    chain.push(stage);
    const parent: string | undefined = new RegExp(
      `^FROM\\s+(\\S+)\\s+AS\\s+${current}\\b`,
      'im',
    ).exec(text)?.[1];
    current = parent;
  }
  return chain;
}

describe('docker/Dockerfile', () => {
  it('has no hadolint finding at any level (rules and ShellCheck)', async () => {
    const result = await run(hadolint, [
      '--format',
      'json',
      '--failure-threshold',
      'info',
      DOCKERFILE,
    ]);
    expect(JSON.parse(result.stdout || '[]')).toEqual([]);
    expect(result.code).toBe(0);
  });

  it('the linter does find problems (root user, unpinned image, ShellCheck) in a bad file', async () => {
    const bad = join(scratch, 'Dockerfile.bad');
    await writeFile(
      bad,
      'FROM ubuntu\nRUN apt-get install curl\nRUN cd /x && ls | grep a\nUSER root\n',
    );
    const result = await run(hadolint, ['--format', 'json', bad]);
    const codes = (JSON.parse(result.stdout) as Array<{ code: string }>).map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['DL3006', 'DL3002', 'DL3003', 'SC2010']));
    expect(result.code).not.toBe(0);
  });

  it('has one target per service and VM image, each starting its existing main.ts', () => {
    const names = stages.map((s) => s.name);
    for (const target of [...SERVICES, ...VMS]) {
      expect(names, target).toContain(target);
      const stage = stages.find((s) => s.name === target);
      const cmd = stage?.lines.find((l) => l.startsWith('CMD'));
      expect(cmd, target).toBe(`CMD ["node", "services/${target}/src/main.ts"]`);
      expect(existsSync(join(REPO_DIR, 'services', target, 'src', 'main.ts')), target).toBe(true);
    }
  });

  it('runs every target as the unprivileged user 10001', async () => {
    const text = await readFile(DOCKERFILE, 'utf8');
    for (const target of [...SERVICES, ...VMS]) {
      const user = lineage(target, text)
        .flatMap((s) => s.lines.filter((l) => l.startsWith('USER')).reverse())
        .at(0);
      expect(user, target).toBe('USER 10001:10001');
    }
  });

  it("the worker image has Debian's Python 3.11, uv from PyPI's wheel and Node, and tells the worker", () => {
    const worker = stages.find((s) => s.name === 'worker');
    const text = worker?.lines.join('\n') ?? '';
    expect(text).toContain('python3 tini');
    expect(text).toContain(`'{"3.11":"/usr/bin/python3.11"}'`);
    expect(text).toContain('COPY --from=uv /usr/local/bin/uv /usr/local/bin/uv');
    expect(text).toContain('LZY_WORKER_UV=/usr/local/bin/uv');
    expect(text).toContain('LZY_WORKER_OP_OUTPUT_TO_LOG=true');
    expect(text).toContain('COPY --from=node /usr/local/bin/node /usr/local/bin/node');
    const uv = stages.find((s) => s.name === 'uv')?.lines.join('\n') ?? '';
    expect(uv).toContain('fetch-wheel.py uv "${UV_VERSION}" manylinux_2_17_x86_64');
  });

  it('builds from bases chosen by build args, public ones by default', async () => {
    const text = await readFile(DOCKERFILE, 'utf8');
    expect(text).toMatch(/^ARG DEBIAN_IMAGE=debian:bookworm-slim$/m);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24\.21\.0-bookworm-slim$/m);
    // No registry other than those two: no PPA, no ubuntu, no GitHub registry.
    const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    const stageNames = new Set(stages.map((s) => s.name));
    for (const from of froms) {
      expect(['${DEBIAN_IMAGE}', '${NODE_IMAGE}', 'scratch', ...stageNames], from).toContain(from);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps the lockfile, every workspace manifest and the sources; drops state and tests', async () => {
    const patterns = await readDockerignore(join(REPO_DIR, '.dockerignore'));
    const workspaces = (await readFile(join(REPO_DIR, 'pnpm-lock.yaml'), 'utf8'))
      .split('\n')
      .filter((l) => /^ {2}\S.*:$/.test(l))
      .map((l) => l.trim().slice(0, -1).replace(/^'|'$/g, ''));
    const importers = workspaces.filter((w) => w === '.' || /^[a-z]+(\/[a-z-]+)?$/.test(w));
    expect(importers.length).toBeGreaterThan(20);
    const kept = [
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'package.json',
      ...importers.map((w) => (w === '.' ? 'package.json' : `${w}/package.json`)),
      ...SERVICES.concat(VMS).map((s) => `services/${s}/src/main.ts`),
      'libs/proto/src/gen/ai/lzy/v1/workflow/workflow-service.ts',
    ];
    for (const path of kept) expect(isIgnored(path, patterns), path).toBe(false);
    const dropped = [
      'node_modules/x',
      'services/iam/node_modules/x',
      '.git/HEAD',
      '.lzy/client.json',
      'services/iam/test/main.test.ts',
      'libs/db/src/x.test.ts',
      'deploy/helm/lzy/Chart.yaml',
      'python/.venv/bin/python',
    ];
    for (const path of dropped) expect(isIgnored(path, patterns), path).toBe(true);
  });
});

describe("the images' install step, without Docker", () => {
  it('installs the build context offline with production dependencies only, and every component loads', async () => {
    // What the workspace stage does (pnpm fetch + offline frozen install with --prod), on exactly
    // the files .dockerignore lets through: a runtime import of a devDependency, a manifest left
    // out of the context or a stale lockfile fails here.
    const context = join(scratch, 'context');
    const files = await copyBuildContext(
      REPO_DIR,
      context,
      await readDockerignore(join(REPO_DIR, '.dockerignore')),
    );
    expect(files).toBeGreaterThan(100);
    // The workspace stage's install, filters included.
    const install = /RUN rm -rf node_modules \\\n\s+&& (pnpm install [^&]+)&&/.exec(
      await readFile(DOCKERFILE, 'utf8'),
    )?.[1];
    expect(install).toBeDefined();
    await runOk('bash', ['-c', (install ?? '').replace(/\\\n/g, ' ')], {
      cwd: context,
      env: { ...process.env, CI: 'true' },
    });
    const components = [...SERVICES, ...VMS];
    const script = `for (const s of ${JSON.stringify(components)}) { await import('./services/' + s + '/src/index.ts'); console.log('loaded ' + s); } await import('./libs/sdk/src/index.ts');`;
    const out = await runOk(process.execPath, ['--input-type=module', '-e', script], {
      cwd: context,
    });
    expect(out.trim().split('\n')).toEqual(components.map((c) => `loaded ${c}`));
  });
});
