import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BUILT_IN_PERMISSION_SETS } from '../../greenhouse/catalog';
import { HarvestClient } from '../../greenhouse/harvest-client';
import { createHarvestAgent, GreenhouseEngine } from '../../greenhouse/request-engine';
import { type RunningSimulator, startSimulator } from '../../greenhouse/simulator/server';
import { DEMO } from '../../greenhouse/simulator/state';
import { TokenMinter } from '../../greenhouse/token-minter';
import { connectMongo, type Mongo } from '../../store/mongo';
import { sharedBudgets } from '../../store/shared-budgets';

const ATS_READ = BUILT_IN_PERMISSION_SETS.ats_read as string[];

describe("Greenhouse's windows shared through MongoDB", () => {
  let sim: RunningSimulator;
  let mongo: Mongo;
  beforeAll(async () => {
    sim = await startSimulator(0);
    mongo = await connectMongo(inject('services').mongoUri, `mints_${randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => {
    await sim.close();
    await mongo.close();
  });

  /** A worker process as it starts: its own clients and budget store, nothing remembered. */
  const freshProcess = () => {
    const errors: unknown[] = [];
    const client = new HarvestClient({
      authUrl: sim.url,
      harvestUrl: sim.url,
      budgets: sharedBudgets(mongo.db, 16, (error) => errors.push(error)),
    });
    return { client, errors };
  };

  it('a process started mid-window does not mint into the window its predecessor used up', async () => {
    sim.state.behaviour.tokenRateLimit = 3;
    sim.state.behaviour.tokenWindowMs = 3_000;
    const before = freshProcess();
    // Start at a window's beginning (the simulator's windows are fixed: epoch multiples), so the three fit in one.
    await new Promise((resolve) => setTimeout(resolve, 3_000 - (Date.now() % 3_000) + 20));
    for (let i = 0; i < 3; i++) await before.client.probe(DEMO.full, ['harvest:jobs:list']);
    const restarted = freshProcess();
    const outcome = await restarted.client.probe(DEMO.full, ['harvest:jobs:list']);
    expect(outcome).toMatchObject({ kind: 'probed', results: [{ status: 'granted' }] });
    const mints = sim.state.calls.filter((c) => c.path === '/token');
    expect(mints).toHaveLength(4);
    expect(mints.filter((c) => c.rateLimited)).toEqual([]);
    // The fourth waited for the simulator's next fixed window rather than being refused in the first.
    const windowOf = (at?: string) => Math.floor(Date.parse(at ?? '') / 3_000);
    expect(windowOf(mints[3]?.at)).toBeGreaterThan(windowOf(mints[2]?.at));
    expect([...before.errors, ...restarted.errors]).toEqual([]);
  });

  it('a process started mid-window does not probe into the window its predecessor used up', async () => {
    sim.state.reset();
    sim.state.behaviour.harvestRateLimit = 16;
    sim.state.behaviour.harvestWindowMs = 3_000;
    const before = freshProcess();
    await before.client.probe(DEMO.full, ATS_READ); // 15 of the window's 16
    const restarted = freshProcess();
    // Alone, it would learn the window with one lone read, then send half the limit (8) into the 1 left.
    const outcome = await restarted.client.probe(DEMO.full, ATS_READ);
    expect(outcome.kind === 'probed' && outcome.results.every((r) => r.status === 'granted')).toBe(true);
    expect(sim.state.calls.filter((c) => c.rateLimited)).toEqual([]);
    expect([...before.errors, ...restarted.errors]).toEqual([]);
  });

  it('MongoDB unreachable: mints go on within this process’s own budget, and say so', async () => {
    sim.state.reset();
    // Nothing listens on port 9: every operation fails once server selection gives up.
    const unreachable = new MongoClient('mongodb://127.0.0.1:9/', { serverSelectionTimeoutMS: 300 });
    const errors: unknown[] = [];
    const harvest = new HarvestClient({
      authUrl: sim.url,
      harvestUrl: sim.url,
      budgets: sharedBudgets(unreachable.db('none'), 16, (error) => errors.push(error)),
    });
    const outcome = await harvest.probe(DEMO.full, ['harvest:jobs:list']);
    expect(outcome).toMatchObject({ kind: 'probed', results: [{ status: 'granted' }] });
    expect(errors.length).toBeGreaterThan(0);
    await unreachable.close();
  });

  it('two replicas calling one account through window resets: no 429, no window over its limit', async () => {
    sim.state.reset();
    sim.state.behaviour.harvestRateLimit = 20;
    sim.state.behaviour.harvestWindowMs = 2_000;
    // An account no other test has used: its windows start unknown in MongoDB too.
    const account = sim.state.addCredential({ scopes: ['harvest:jobs:list'] });
    const minted = await new TokenMinter(
      sim.url,
      new GreenhouseEngine({ dispatcher: createHarvestAgent() }),
      5_000,
    ).mint(account);
    if (!minted.ok) throw new Error('the simulator refused the demo credentials');
    const replica = () => {
      const errors: unknown[] = [];
      const engine = new GreenhouseEngine({
        dispatcher: createHarvestAgent(),
        budgets: sharedBudgets(mongo.db, 64, (error) => errors.push(error)),
      });
      // 30 callers at once, 50 calls in all: each replica spans three windows, learning each anew.
      const calls = Array.from({ length: 50 }, () =>
        engine.read({
          method: 'GET',
          url: new URL('/v3/jobs?per_page=1', sim.url),
          auth: { header: () => `Bearer ${minted.token.accessToken}` },
          budget: engine.budget(account.clientId),
          idempotent: true,
        }),
      );
      return { calls: Promise.all(calls), errors };
    };
    const [a, b] = [replica(), replica()];
    const answers = [...(await a.calls), ...(await b.calls)];
    expect(answers.map((answer) => (answer.kind === 'answered' ? answer.status : answer.kind))).toEqual(
      Array(100).fill(200),
    );
    const reads = sim.state.calls.filter((c) => c.path.startsWith('/v3/jobs'));
    expect(reads.filter((c) => c.rateLimited)).toEqual([]);
    const perWindow = new Map<number, number>();
    for (const c of reads) {
      const window = Math.floor(Date.parse(c.at ?? '') / 2_000);
      perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
    }
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(20);
    expect([...a.errors, ...b.errors]).toEqual([]);
  }, 60_000);
});
