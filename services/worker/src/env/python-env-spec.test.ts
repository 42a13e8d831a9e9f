import { describe, expect, it } from 'vitest';
import { EnvironmentError } from './environment-error.ts';
import { normalizeRequirements, parsePythonEnv, pythonEnvKey } from './python-env-spec.ts';

// What pylzy 1.0.1 generates (python-client-protocol §4.2), observed.
const PYLZY_YAML = `name: default
dependencies:
- python==3.11.7
- pip
- pip:
  - tabulate==0.9.0
  - protobuf==3.19.4
`;

describe('parsePythonEnv', () => {
  it('reads the Python version and the pip pins of a pylzy YAML', () => {
    expect(parsePythonEnv(PYLZY_YAML)).toEqual({
      minor: '3.11',
      requestedVersion: '3.11.7',
      requirements: ['protobuf==3.19.4', 'tabulate==0.9.0'],
    });
  });

  it('maps the py37/py38/py39 env names to their Python and accepts an empty pip list', () => {
    const spec = parsePythonEnv('name: py39\ndependencies:\n- pip\n- pip: []\n');
    expect(spec).toEqual({ minor: '3.9', requestedVersion: '3.9', requirements: [] });
  });

  it('accepts conda-style python=X.Y and leaves the version open when none is named', () => {
    expect(parsePythonEnv('dependencies: [python=3.10]').minor).toBe('3.10');
    expect(parsePythonEnv('name: default\n').minor).toBeUndefined();
    expect(parsePythonEnv('').requirements).toEqual([]);
  });

  it('refuses conda-only packages, version ranges of python and malformed YAML', () => {
    expect(() => parsePythonEnv('dependencies: [numpy=1.24]')).toThrow(/list it under `pip:`/);
    expect(() => parsePythonEnv('dependencies: [python>=3.8]')).toThrow(EnvironmentError);
    expect(() => parsePythonEnv('dependencies: {a: 1}')).toThrow(/must be a list/);
    expect(() => parsePythonEnv('dependencies: [\n')).toThrow(/does not parse/);
  });
});

describe('normalizeRequirements', () => {
  it('normalises names and specifiers, sorts and removes duplicates', () => {
    expect(
      normalizeRequirements([
        'Typing_Extensions == 4.5.0',
        'tabulate==0.9.0',
        'typing-extensions==4.5.0',
        'requests[SOCKS]>=2 ; python_version > "3"',
        '--extra-index-url https://example.org/simple',
        '',
      ]),
    ).toEqual([
      '--extra-index-url https://example.org/simple',
      'requests[socks]>=2 ; python_version > "3"',
      'tabulate==0.9.0',
      'typing-extensions==4.5.0',
    ]);
  });
});

describe('pythonEnvKey', () => {
  const interpreter = { minor: '3.11', path: '/usr/bin/python3.11' };

  it('is equal for YAMLs that differ only in order, case, spacing and patch level', () => {
    const other = parsePythonEnv(
      'name: default\ndependencies:\n- python==3.11.2\n- pip:\n  - Protobuf == 3.19.4\n  - tabulate==0.9.0\n',
    );
    expect(pythonEnvKey(other.requirements, interpreter)).toBe(
      pythonEnvKey(parsePythonEnv(PYLZY_YAML).requirements, interpreter),
    );
  });

  it('differs for another pin or another interpreter', () => {
    const key = pythonEnvKey(['tabulate==0.9.0'], interpreter);
    expect(key).toMatch(/^[0-9a-f]{24}$/);
    expect(pythonEnvKey(['tabulate==0.8.10'], interpreter)).not.toBe(key);
    expect(
      pythonEnvKey(['tabulate==0.9.0'], { minor: '3.11', path: '/opt/py/bin/python' }),
    ).not.toBe(key);
  });
});
