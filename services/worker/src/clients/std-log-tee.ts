import type { Writable } from 'node:stream';
import type { StdSinkPort, StdWriter } from '../domain/ports.ts';

/**
 * A StdSinkPort that also copies every op output chunk to the worker's own stdout/stderr, as
 * LZY's workers did: in a pod, `kubectl logs` of the worker then shows what its ops printed
 * (LZY_WORKER_OP_OUTPUT_TO_LOG, set by the worker image). The portal still gets everything.
 */
export class StdLogTee implements StdSinkPort {
  readonly #inner: StdSinkPort;
  readonly #out: Writable;
  readonly #err: Writable;

  constructor(deps: { inner: StdSinkPort; stdout: Writable; stderr: Writable }) {
    this.#inner = deps.inner;
    this.#out = deps.stdout;
    this.#err = deps.stderr;
  }

  open(portalAddress: string, taskId: string): StdWriter {
    const writer = this.#inner.open(portalAddress, taskId);
    return {
      write: (stream, data) => {
        (stream === 'stdout' ? this.#out : this.#err).write(data);
        return writer.write(stream, data);
      },
      close: () => writer.close(),
    };
  }
}
