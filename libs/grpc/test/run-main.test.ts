import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rawEchoClient } from './echo-service.ts';
import { rawEcho } from './helpers.ts';

const MAIN = fileURLToPath(new URL('./fixtures/echo/main.ts', import.meta.url));

interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startMain(env: Record<string, string>): Child {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, ...env },
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { process: child, stdout: () => stdout, stderr: () => stderr, exited };
}

function logLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('runMain', () => {
  it('exits 2 naming every bad variable when the configuration is invalid', async () => {
    const child = startMain({ ECHO_PORT: 'abc', ECHO_HOLD_MS: '-1' });
    await expect(child.exited).resolves.toBe(2);
    expect(child.stderr()).toContain('ECHO_PORT: expected an integer 0..65535, got "abc"');
    expect(child.stderr()).toContain('ECHO_HOLD_MS: expected milliseconds, got "-1"');
  });

  it('logs the port, serves, and on SIGTERM drains the in-flight call and exits 0', async () => {
    const child = startMain({ ECHO_PORT: '0', ECHO_HOLD_MS: '300' });
    try {
      const startedLine = () => logLines(child.stdout()).find((line) => line.msg === 'started');
      await expect.poll(startedLine, { timeout: 15_000 }).toBeDefined();
      const started = startedLine();
      expect(started).toMatchObject({
        service: 'echo',
        level: 'info',
        port: expect.any(Number) as number,
      });
      const client = rawEchoClient(started?.port as number);
      try {
        const call = rawEcho(client, { text: 'during shutdown' });
        await expect
          .poll(() => logLines(child.stdout()).some((line) => line.msg === 'echo started'))
          .toBe(true);
        child.process.kill('SIGTERM');
        await expect(call).resolves.toMatchObject({
          error: null,
          response: { text: 'during shutdown' },
        });
      } finally {
        client.close();
      }
      await expect(child.exited).resolves.toBe(0);
      expect(logLines(child.stdout()).map((line) => line.msg)).toEqual(
        expect.arrayContaining(['stopping', 'stopped']),
      );
    } finally {
      child.process.kill('SIGKILL');
    }
  });

  it('exits 1 when start fails', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const child = startMain({ ECHO_PORT: String((taken.address() as AddressInfo).port) });
      await expect(child.exited).resolves.toBe(1);
      expect(logLines(child.stdout()).find((line) => line.msg === 'start failed')).toMatchObject({
        level: 'fatal',
      });
    } finally {
      taken.close();
    }
  });
});
