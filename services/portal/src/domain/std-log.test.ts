import { describe, expect, it } from 'vitest';
import { StdLog } from './std-log.ts';
import type { StdEntry } from './std-log.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

async function readAll(log: StdLog, fromSeq = 0): Promise<StdEntry[]> {
  const out: StdEntry[] = [];
  for await (const entry of log.read(fromSeq, new AbortController().signal)) out.push(entry);
  return out;
}

describe('StdLog', () => {
  it('appends whole lines in order with increasing seq and keeps a partial line until end', async () => {
    const log = new StdLog({ maxBytes: 1 << 20 });
    const writer = log.openWriter();
    writer.write('t1', 'STDOUT', bytes('a\nb'));
    writer.write('t1', 'STDOUT', bytes('c\n'));
    writer.write('t1', 'STDERR', bytes('tail'));
    writer.end();
    log.close();
    expect(await readAll(log)).toEqual([
      { seq: 1, taskId: 't1', stream: 'STDOUT', text: 'a\n' },
      { seq: 2, taskId: 't1', stream: 'STDOUT', text: 'bc\n' },
      { seq: 3, taskId: 't1', stream: 'STDERR', text: 'tail' },
    ]);
  });

  it('decodes a UTF-8 character split across chunks', async () => {
    const log = new StdLog({ maxBytes: 1 << 20 });
    const writer = log.openWriter();
    const euro = bytes('€\n');
    writer.write('t', 'STDOUT', euro.slice(0, 1));
    writer.write('t', 'STDOUT', euro.slice(1));
    writer.end();
    log.close();
    expect((await readAll(log)).map((e) => e.text)).toEqual(['€\n']);
  });

  it('replays from a seq and drops the oldest entries beyond the byte bound', async () => {
    const log = new StdLog({ maxBytes: 4 });
    const writer = log.openWriter();
    for (const line of ['1\n', '2\n', '3\n', '4\n']) writer.write('t', 'STDOUT', bytes(line));
    writer.end();
    log.close();
    expect((await readAll(log)).map((e) => e.seq)).toEqual([3, 4]);
    expect((await readAll(log, 4)).map((e) => e.seq)).toEqual([4]);
  });

  it('refuses writers after close', () => {
    const log = new StdLog({ maxBytes: 10 });
    log.close();
    expect(() => log.openWriter()).toThrow(/finished/);
  });
});
