import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../lib/single-flight';

/** A read that answers when told to, counting how often it was started. */
function gatedRead<V>() {
  let started = 0;
  const gates: ((value: V) => void)[] = [];
  return {
    read: () => {
      started++;
      return new Promise<V>((resolve) => gates.push(resolve));
    },
    answer: (value: V) => {
      for (const open of gates.splice(0)) open(value);
    },
    started: () => started,
  };
}

describe('SingleFlight', () => {
  it('50 callers of one key while its read is under way share that one read and its value', async () => {
    const flight = new SingleFlight<string, number>();
    const source = gatedRead<number>();
    const kept: number[] = [];
    const callers = Array.from({ length: 50 }, () => flight.run('k', source.read, (v) => kept.push(v)));
    source.answer(7);
    expect(await Promise.all(callers)).toEqual(Array(50).fill(7));
    expect(source.started()).toBe(1);
    expect(kept).toEqual([7]);
    // Once answered, the next caller reads again (the cache in front decides how long a value lasts).
    const again = flight.run('k', source.read, (v) => kept.push(v));
    source.answer(8);
    expect(await again).toBe(8);
    expect(source.started()).toBe(2);
  });

  it('a read forgotten while under way (a deletion, a revocation) still answers its callers but is not kept', async () => {
    const flight = new SingleFlight<string, string>();
    const source = gatedRead<string>();
    const kept: string[] = [];
    const before = flight.run('k', source.read, (v) => kept.push(v));
    flight.forget('k');
    // A caller after the deletion does not join the old read.
    const after = flight.run('k', source.read, (v) => kept.push(v));
    expect(source.started()).toBe(2);
    source.answer('value');
    expect(await before).toBe('value');
    expect(await after).toBe('value');
    expect(kept).toEqual(['value']); // only the read started after forget()
  });

  it('a failed read fails its callers and is not remembered: the next caller reads again', async () => {
    const flight = new SingleFlight<string, number>();
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('database down');
    };
    await expect(flight.run('k', failing, () => {})).rejects.toThrow('database down');
    await expect(flight.run('k', failing, () => {})).rejects.toThrow('database down');
    expect(calls).toBe(2);
  });
});
