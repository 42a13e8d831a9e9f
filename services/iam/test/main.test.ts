import { fileURLToPath } from 'node:url';
import { describeServiceProcess } from '@lzy/testing';

describeServiceProcess('iam', fileURLToPath(new URL('../src/main.ts', import.meta.url)));
