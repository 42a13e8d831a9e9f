import { describe, expect, it } from 'vitest';
import { renderTable } from './table.ts';

describe('renderTable', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(
      renderTable(
        ['ID', 'NAME', 'TAGS'],
        [
          ['1', 'metrics', 'a,b'],
          ['22', 'x', '-'],
        ],
      ),
    ).toBe('ID  NAME     TAGS\n1   metrics  a,b\n22  x        -\n');
  });

  it('prints only the header without rows', () => {
    expect(renderTable(['A', 'B'], [])).toBe('A  B\n');
  });
});
