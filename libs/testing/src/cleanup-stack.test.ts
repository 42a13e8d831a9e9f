import { describe, expect, it } from 'vitest';
import { CleanupStack } from './cleanup-stack.ts';

describe('CleanupStack', () => {
  it('runs every cleanup in reverse order and reports all failures', async () => {
    const stack = new CleanupStack();
    const order: string[] = [];
    stack.defer(() => void order.push('first'));
    stack.push({
      stop: () => {
        order.push('second');
        throw new Error('second failed');
      },
    });
    stack.defer(() => {
      order.push('third');
      return Promise.reject(new Error('third failed'));
    });

    const closed = stack.close();
    await expect(closed).rejects.toBeInstanceOf(AggregateError);
    await expect(closed).rejects.toMatchObject({
      errors: [{ message: 'third failed' }, { message: 'second failed' }],
    });
    expect(order).toEqual(['third', 'second', 'first']);
    await stack.close();
    expect(order).toHaveLength(3);
  });

  it('rethrows a single failure as is and works with await using', async () => {
    const stopped: string[] = [];
    const failing = async (): Promise<void> => {
      await using stack = new CleanupStack();
      stack.push({ stop: () => void stopped.push('server') });
      throw new Error('start failed');
    };
    await expect(failing()).rejects.toThrow('start failed');
    expect(stopped).toEqual(['server']);

    const single = new CleanupStack();
    single.defer(() => Promise.reject(new Error('only one')));
    await expect(single.close()).rejects.toThrow('only one');
  });
});
