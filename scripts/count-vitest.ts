// Prints "<passed> <failed>" from a vitest JSON report; a missing report counts as one failure
// (vitest crashed before writing it), so CI never reads a silent run as green.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? '.lzy/vitest.json';
try {
  const report = JSON.parse(readFileSync(path, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numTotalTestSuites: number;
    numFailedTestSuites: number;
  };
  // A test file that fails to load has no failed tests but a failed suite: count it.
  const failed =
    report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
  process.stdout.write(`${report.numPassedTests} ${failed}\n`);
} catch {
  process.stdout.write('0 1\n');
}
