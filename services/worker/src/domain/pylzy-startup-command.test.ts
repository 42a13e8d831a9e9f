import { InvalidArgument } from '@lzy/errors';
import { describe, expect, it } from 'vitest';
import {
  parsePylzyStartupCommand,
  startupCommandForRepeatedInputs,
} from './pylzy-startup-command.ts';

const PREFIX = `python -u $(python -c 'import site; print(site.getsitepackages()[0])')/lzy/api/v1/startup.py  `;

describe('parsePylzyStartupCommand', () => {
  it('splits pylzy’s start-up command into its prefix and payload', () => {
    expect(parsePylzyStartupCommand(`${PREFIX}gASVAAA+/x==`)).toEqual({
      prefix: PREFIX,
      payload: 'gASVAAA+/x==',
    });
  });

  it('recognises nothing else', () => {
    for (const command of [
      `${PREFIX}abc; rm -rf /`,
      `${PREFIX}abc def`,
      `python -u /elsewhere/startup.py abc`,
      `cat "$LZY_MOUNT/c/x"`,
    ])
      expect(parsePylzyStartupCommand(command)).toBeUndefined();
  });
});

describe('startupCommandForRepeatedInputs', () => {
  it('refuses another command, saying why and what to change', () => {
    const repeated = new Map([['/c/square.return_0', ['/c/square.return_0', '/c/x.input-1']]]);
    expect(() => startupCommandForRepeatedInputs('cat "$LZY_MOUNT/c/x"', repeated)).toThrow(
      InvalidArgument,
    );
    expect(() => startupCommandForRepeatedInputs('cat x', repeated)).toThrow(
      /input slot \/c\/square\.return_0 is declared 2 times for different data.*give each input slot of this op its own name/s,
    );
  });
});
