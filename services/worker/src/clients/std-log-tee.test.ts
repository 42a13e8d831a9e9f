import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { StdSinkPort } from '../domain/ports.ts';
import { StdLogTee } from './std-log-tee.ts';

describe('StdLogTee', () => {
  it("copies each stream to the worker's own stream and still sends everything to the portal", async () => {
    const sent: string[] = [];
    const inner: StdSinkPort = {
      open: (portal, taskId) => ({
        write: (stream, data) => {
          sent.push(`${portal} ${taskId} ${stream} ${data.toString()}`);
          return Promise.resolve();
        },
        close: () => Promise.resolve(),
      }),
    };
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const writer = new StdLogTee({ inner, stdout, stderr }).open('portal:1', 't1');
    await writer.write('stdout', Buffer.from('squaring 3\n'));
    await writer.write('stderr', Buffer.from('warn\n'));
    await writer.close();
    expect(String(stdout.read())).toBe('squaring 3\n');
    expect(String(stderr.read())).toBe('warn\n');
    expect(sent).toEqual(['portal:1 t1 stdout squaring 3\n', 'portal:1 t1 stderr warn\n']);
  });
});
