import { fileURLToPath } from 'node:url';
import { describeServiceProcess } from '@lzy/testing';

describeServiceProcess('graph-executor', fileURLToPath(new URL('../src/main.ts', import.meta.url)));
