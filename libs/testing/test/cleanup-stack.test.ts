import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { CleanupStack, startPostgres, startS3, type PostgresCluster } from '../src/index.ts';

describe('CleanupStack', () => {
  it('stops earlier resources when a later start throws', async () => {
    const stack = new CleanupStack();
    let cluster: PostgresCluster | undefined;
    const start = async (): Promise<void> => {
      try {
        cluster = stack.push(await startPostgres());
        stack.push(await startS3({ binPath: '/nonexistent/versitygw' }));
      } finally {
        await stack.close();
      }
    };

    await expect(start()).rejects.toThrow(/versitygw/);
    expect(cluster).toBeDefined();
    const client = new pg.Client({ connectionString: cluster?.adminUrl });
    await expect(client.connect()).rejects.toThrow(/ECONNREFUSED/);
  });
});
