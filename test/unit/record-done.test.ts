import { describe, expect, it } from 'vitest';
import { recordDone } from '../../store/record-done';

describe('recording what was already done', () => {
  it('keeps trying through an outage, then gives up past its budget with the last error', async () => {
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls < 3) throw new Error(`down (${calls})`);
      return 'recorded';
    };
    expect(await recordDone(flaky, 5_000)).toBe('recorded');
    expect(calls).toBe(3);

    const began = Date.now();
    await expect(
      recordDone(async () => {
        throw new Error('still down');
      }, 600),
    ).rejects.toThrow('still down');
    expect(Date.now() - began).toBeLessThan(2_000);
  });
});
