/**
 * Plain text columns, each as wide as its widest cell, separated by two spaces; the last column
 * is not padded (no trailing blanks). Ends with a newline.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>) {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ');
  return [headers, ...rows].map(line).join('\n') + '\n';
}
