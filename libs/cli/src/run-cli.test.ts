import { describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.ts';
import { runCli } from './run-cli.ts';

function capturingIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    env: {},
    signal: new AbortController().signal,
    cwd: '/',
    homeDir: '/nonexistent-home',
    childStdio: 'pipe',
  };
}

describe('runCli', () => {
  it('prints the help on stdout and exits 0', async () => {
    const io = capturingIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out.join('')).toContain('Usage: lzy <command>');
    expect(io.err).toEqual([]);
  });

  it('prints the help of a command', async () => {
    const io = capturingIo();
    expect(await runCli(['whiteboards', '--help'], io)).toBe(0);
    expect(io.out.join('')).toContain('--tag <tag>');
  });

  it('exits 2 with a message and the usage on stderr for an unknown command', async () => {
    const io = capturingIo();
    expect(await runCli(['deploy'], io)).toBe(2);
    expect(io.err.join('')).toMatch(/^lzy: unknown command 'deploy'\n\nUsage: lzy <command>/);
    expect(io.out).toEqual([]);
  });

  it('exits 2 for an unknown flag', async () => {
    const io = capturingIo();
    expect(await runCli(['logs', '--tail', 'e1'], io)).toBe(2);
    expect(io.err.join('')).toContain("lzy: Unknown option '--tail'");
  });
});
