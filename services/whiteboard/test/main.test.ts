import { fileURLToPath } from 'node:url';
import { describeServiceProcess } from '@lzy/testing';

describeServiceProcess('whiteboard', fileURLToPath(new URL('../src/main.ts', import.meta.url)));
