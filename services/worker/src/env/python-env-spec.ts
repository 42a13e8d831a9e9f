import { createHash } from 'node:crypto';
import { FAILSAFE_SCHEMA, load } from 'js-yaml';
import { EnvironmentError } from './environment-error.ts';

/**
 * What an op's conda-style environment YAML asks for, normalised so that equal requests compare
 * (and hash) equal: the Python minor version and the pip requirements, sorted and de-duplicated.
 */
export interface PythonEnvSpec {
  /** `3.11`; undefined when the YAML names no Python (the worker's newest is used). */
  minor: string | undefined;
  /** The version as written (`3.11.7`), for messages only: the patch level is not honoured. */
  requestedVersion: string | undefined;
  /** Requirement lines for `uv pip install -r`, normalised, sorted, unique. */
  requirements: string[];
}

/** Conda env names pylzy uses for the Java image's pre-built envs (python-client-protocol §4.2). */
const NAMED_ENVS: Record<string, string> = { py37: '3.7', py38: '3.8', py39: '3.9' };

/** `python==3.11.7`, `python=3.9`, `python 3.10.*`: only an exact (minor) version is accepted. */
const PYTHON_DEP = /^python(?:\s*={1,2}\s*|\s+)(\d+)\.(\d+)((?:\.[0-9*]+)*)\s*$/;

/**
 * Parses the YAML of `PythonEnv.yaml` (python-client-protocol §4.2): `name`, `dependencies` with
 * `python==X.Y.Z`, `pip` and `pip: [name==version, …]`. Conda-only packages are refused: the
 * worker builds environments with uv from PyPI, not with conda. Empty YAML = no pins.
 * @throws EnvironmentError for malformed YAML, an inexact Python spec or a conda-only package
 */
export function parsePythonEnv(yaml: string): PythonEnvSpec {
  let doc: unknown;
  try {
    doc = yaml.trim() === '' ? {} : load(yaml, { schema: FAILSAFE_SCHEMA });
  } catch (err) {
    throw new EnvironmentError(`the environment YAML does not parse: ${String(err)}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new EnvironmentError('the environment YAML must be a mapping with `dependencies`');
  const { name, dependencies } = doc as { name?: unknown; dependencies?: unknown };
  let minor = typeof name === 'string' ? NAMED_ENVS[name] : undefined;
  let requestedVersion = minor;
  const requirements: string[] = [];
  const deps = dependencies ?? [];
  if (!Array.isArray(deps))
    throw new EnvironmentError('`dependencies` of the environment YAML must be a list');
  for (const dep of deps as unknown[]) {
    if (typeof dep === 'string') {
      const text = dep.trim();
      if (text === 'pip' || /^pip\s*[=<>]/.test(text)) continue;
      const python = PYTHON_DEP.exec(text);
      if (python !== null) {
        minor = `${python[1]}.${python[2]}`;
        requestedVersion = `${minor}${python[3] ?? ''}`;
        continue;
      }
      if (/^python\b/.test(text))
        throw new EnvironmentError(
          `unsupported Python requirement ${JSON.stringify(text)}: name one version, e.g. python==3.11.7`,
        );
      throw new EnvironmentError(
        `conda package ${JSON.stringify(text)} is not supported: this worker installs packages from PyPI with uv; list it under \`pip:\``,
      );
    }
    if (typeof dep === 'object' && dep !== null && 'pip' in dep && Object.keys(dep).length === 1) {
      const pip = dep.pip ?? [];
      if (!Array.isArray(pip) || pip.some((p) => typeof p !== 'string'))
        throw new EnvironmentError('`pip:` of the environment YAML must be a list of requirements');
      requirements.push(...(pip as string[]));
      continue;
    }
    throw new EnvironmentError(
      `unsupported dependency ${JSON.stringify(dep)} in the environment YAML`,
    );
  }
  return { minor, requestedVersion, requirements: normalizeRequirements(requirements) };
}

/** PEP 503 name + specifier without blanks; options and URLs kept as written. Sorted, unique. */
export function normalizeRequirements(lines: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match =
      /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*((?:[=<>!~][^;@]*)?)\s*(;.*)?$/.exec(line);
    if (match === null || line.startsWith('-')) {
      out.add(line);
      continue;
    }
    const name = (match[1] ?? '').toLowerCase().replace(/[-_.]+/g, '-');
    const extras = (match[2] ?? '').toLowerCase().replace(/\s+/g, '');
    const specifier = (match[3] ?? '').replace(/\s+/g, '');
    const marker = match[4] === undefined ? '' : ` ${match[4].trim()}`;
    out.add(`${name}${extras}${specifier}${marker}`);
  }
  return [...out].sort();
}

/** Bumped when the layout of a built environment changes, so old cache entries are not reused. */
const LAYOUT_VERSION = 'lzy-ts-env-1';

/**
 * The cache key of an environment: a content hash of the normalised request and the interpreter
 * it is built with (a different interpreter for the same minor is a different environment).
 * 24 hex chars: short paths keep shebangs far below the kernel's 127-byte limit.
 */
export function pythonEnvKey(
  requirements: readonly string[],
  interpreter: { minor: string; path: string },
): string {
  const material = JSON.stringify({
    layout: LAYOUT_VERSION,
    minor: interpreter.minor,
    interpreter: interpreter.path,
    requirements,
  });
  return createHash('sha256').update(material).digest('hex').slice(0, 24);
}
