import { describe, expect, it } from 'vitest';
import { EndMarkSplitter } from './end-mark-splitter.ts';

const MARK = Buffer.from('<<END:42>>');

function feed(chunks: string[]): { data: string; rest: string | undefined; held: string } {
  const splitter = new EndMarkSplitter(MARK);
  let data = '';
  for (const chunk of chunks) {
    const out = splitter.push(Buffer.from(chunk));
    data += out.data.toString();
    if (out.rest !== undefined) return { data, rest: out.rest.toString(), held: '' };
  }
  return { data, rest: undefined, held: splitter.flush().toString() };
}

describe('EndMarkSplitter', () => {
  it('passes bytes through until the mark and returns what follows it', () => {
    expect(feed(['hello ', 'world<<END:42>>next'])).toEqual({
      data: 'hello world',
      rest: 'next',
      held: '',
    });
  });

  it('finds a mark split over several chunks', () => {
    expect(feed(['abc<<E', 'ND:4', '2>>', 'x'])).toEqual({ data: 'abc', rest: '', held: '' });
  });

  it('releases held bytes that turn out not to be the mark', () => {
    expect(feed(['abc<<EN', 'D:43>> and on'])).toEqual({
      data: 'abc<<END:43>> and on',
      rest: undefined,
      held: '',
    });
  });

  it('gives back a held possible mark prefix when the stream ends', () => {
    expect(feed(['abc<<END:4'])).toEqual({ data: 'abc', rest: undefined, held: '<<END:4' });
  });

  it('handles a mark at the very start', () => {
    expect(feed(['<<END:42>>'])).toEqual({ data: '', rest: '', held: '' });
  });
});
