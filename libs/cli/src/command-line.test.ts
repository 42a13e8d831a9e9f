import { describe, expect, it } from 'vitest';
import { UsageError } from './cli-error.ts';
import { parseCommandLine } from './command-line.ts';

function usageErrorOf(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('asks for the top-level help with --help, -h or help', () => {
    expect(parseCommandLine(['--help'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['-h'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['help'])).toEqual({ command: 'help' });
  });

  it('asks for a command help with <command> --help or help <command>', () => {
    expect(parseCommandLine(['status', '--help'])).toEqual({ command: 'help', topic: 'status' });
    expect(parseCommandLine(['help', 'whiteboards'])).toEqual({
      command: 'help',
      topic: 'whiteboards',
    });
    expect(parseCommandLine(['run', '--help'])).toEqual({ command: 'help', topic: 'run' });
  });

  it('rejects a missing or unknown command with the top-level usage', () => {
    expect(usageErrorOf([]).message).toBe('missing command');
    const unknown = usageErrorOf(['deploy']);
    expect(unknown.message).toBe("unknown command 'deploy'");
    expect(unknown.usage).toContain('Usage: lzy <command>');
    expect(usageErrorOf(['--verbose']).message).toBe("unknown option '--verbose'");
  });

  it('parses status with and without a graph id', () => {
    expect(parseCommandLine(['status', 'exec-1', 'graph-1', '--watch'])).toEqual({
      command: 'status',
      config: undefined,
      executionId: 'exec-1',
      graphId: 'graph-1',
      watch: true,
    });
    expect(parseCommandLine(['status', '--config', '/c.json', 'exec-1'])).toEqual({
      command: 'status',
      config: '/c.json',
      executionId: 'exec-1',
      graphId: undefined,
      watch: false,
    });
  });

  it('names the missing argument and rejects extra ones and unknown flags', () => {
    expect(usageErrorOf(['status']).message).toBe('missing <executionId>');
    expect(usageErrorOf(['logs']).message).toBe('missing <executionId>');
    expect(usageErrorOf(['logs', 'a', 'b']).message).toBe("unexpected argument 'b'");
    const unknownFlag = usageErrorOf(['logs', '--follow', 'exec-1']);
    expect(unknownFlag.message).toBe("Unknown option '--follow'");
    expect(unknownFlag.usage).toContain('Usage: lzy logs');
    expect(usageErrorOf(['up', 'now']).message).toBe("unexpected argument 'now'");
  });

  it('parses logs', () => {
    expect(parseCommandLine(['logs', 'exec-1'])).toEqual({
      command: 'logs',
      config: undefined,
      executionId: 'exec-1',
    });
  });

  it('parses whiteboard filters, repeated tags and ISO bounds', () => {
    expect(
      parseCommandLine([
        'whiteboards',
        '--name',
        'metrics',
        '--tag',
        'a',
        '--tag',
        'b',
        '--since',
        '2025-01-31T12:00:00Z',
        '--until',
        '2025-02-01',
        '--json',
      ]),
    ).toEqual({
      command: 'whiteboards',
      config: undefined,
      name: 'metrics',
      tags: ['a', 'b'],
      since: new Date('2025-01-31T12:00:00Z'),
      until: new Date('2025-02-01T00:00:00Z'),
      json: true,
    });
    expect(parseCommandLine(['whiteboards'])).toMatchObject({ tags: [], json: false });
  });

  it('rejects a date that is not ISO', () => {
    expect(usageErrorOf(['whiteboards', '--since', 'yesterday']).message).toBe(
      "--since: 'yesterday' is not an ISO date/time",
    );
  });

  it('passes everything from the program file on to the program', () => {
    expect(
      parseCommandLine(['run', '--config', 'c.json', 'train.ts', '--epochs', '3', '--help']),
    ).toEqual({
      command: 'run',
      config: 'c.json',
      file: 'train.ts',
      args: ['--epochs', '3', '--help'],
    });
    expect(parseCommandLine(['run', '--', '-weird.ts', 'x'])).toEqual({
      command: 'run',
      config: undefined,
      file: '-weird.ts',
      args: ['x'],
    });
  });

  it('rejects run without a file and with an unknown option before it', () => {
    expect(usageErrorOf(['run']).message).toBe('missing <file> to run');
    expect(usageErrorOf(['run', '--watch', 'x.ts']).message).toBe("Unknown option '--watch'");
  });
});
