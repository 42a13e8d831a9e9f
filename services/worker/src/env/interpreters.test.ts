import { describe, expect, it } from 'vitest';
import { chooseInterpreter, newestPatchByMinor } from './interpreters.ts';

const spec = (minor: string | undefined, requestedVersion = minor) => ({
  minor,
  requestedVersion,
  requirements: [],
});

describe('newestPatchByMinor', () => {
  it('keeps the highest patch of each minor and ignores other names', () => {
    const names = ['3.11.2', '3.11.10', '3.9.18', '2.7.18', 'miniconda3-latest', '3.13.0t'];
    expect(newestPatchByMinor(names)).toEqual(
      new Map([
        ['3.11', '3.11.10'],
        ['3.9', '3.9.18'],
        ['2.7', '2.7.18'],
      ]),
    );
  });
});

describe('chooseInterpreter', () => {
  const available = new Map([
    ['3.9', '/py/3.9/bin/python'],
    ['3.11', '/py/3.11/bin/python'],
    ['3.10', '/py/3.10/bin/python'],
  ]);

  it('picks the interpreter of the requested minor whatever the patch', () => {
    expect(chooseInterpreter(available, spec('3.10', '3.10.99'))).toEqual({
      minor: '3.10',
      path: '/py/3.10/bin/python',
    });
  });

  it('picks the newest minor when the YAML names no Python', () => {
    expect(chooseInterpreter(available, spec(undefined)).minor).toBe('3.11');
  });

  it('names the versions it has when the requested one is missing', () => {
    expect(() => chooseInterpreter(available, spec('3.8', '3.8.12'))).toThrow(
      'Python 3.8 is not available on this worker (the op asks for python 3.8.12; this worker has: 3.9, 3.10, 3.11, found in ~/.pyenv/versions and as python3.X on PATH, LZY_WORKER_PYTHONS being unset)',
    );
    expect(() => chooseInterpreter(new Map(), spec(undefined))).toThrow(/this worker has: none/);
  });
});
