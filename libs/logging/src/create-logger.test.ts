import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.ts';

function memoryLogger() {
  const lines: string[] = [];
  const log = createLogger({
    service: 'svc',
    destination: { write: (line: string) => lines.push(line) },
  });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, records };
}

describe('createLogger', () => {
  it('writes JSON lines tagged with the service and the level name', () => {
    const { log, records } = memoryLogger();
    log.info({ vmId: 'vm-1' }, 'vm allocated');
    expect(records()).toEqual([
      expect.objectContaining({ service: 'svc', level: 'info', vmId: 'vm-1', msg: 'vm allocated' }),
    ]);
  });

  it('redacts secret keys at the top level and nested', () => {
    const { log, records } = memoryLogger();
    log.info(
      {
        authorization: 'Bearer a.b.c',
        request: { token: 't', headers: { authorization: 'Bearer x.y.z' } },
        s3: { accessKeyId: 'AK', secretAccessKey: 'SK', bucket: 'tmp-bucket-u' },
        subject: { credentials: [{ password: 'p' }], keys: { user: { privateKey: 'PEM' } } },
      },
      'call',
    );
    const line = JSON.stringify(records()[0]);
    for (const secret of ['a.b.c', '"t"', 'x.y.z', '"AK"', '"SK"', '"p"', 'PEM']) {
      expect(line).not.toContain(secret);
    }
    expect(records()[0]).toMatchObject({
      authorization: '[redacted]',
      request: { token: '[redacted]', headers: { authorization: '[redacted]' } },
      s3: { accessKeyId: '[redacted]', secretAccessKey: '[redacted]', bucket: 'tmp-bucket-u' },
      subject: { credentials: '[redacted]', keys: { user: { privateKey: '[redacted]' } } },
    });
  });

  it('redacts secrets bound on a child logger', () => {
    const { log, records } = memoryLogger();
    log.child({ rid: 'r1', secret: 's3cr3t' }).warn('child');
    expect(records()[0]).toMatchObject({ rid: 'r1', secret: '[redacted]' });
  });

  it('writes nothing at level silent', () => {
    const lines: string[] = [];
    const log = createLogger({
      service: 'svc',
      level: 'silent',
      destination: { write: (l: string) => lines.push(l) },
    });
    log.error('boom');
    expect(lines).toEqual([]);
  });
});
