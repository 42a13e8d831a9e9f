import { fileURLToPath } from 'node:url';
import { describeServiceProcess } from '@lzy/testing';

describeServiceProcess('portal', fileURLToPath(new URL('../src/main.ts', import.meta.url)));
