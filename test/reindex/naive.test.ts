import { LB_IDLE_TIMEOUT_SECONDS } from '../../sim/es/reindex';
import { DOCS_PER_SECOND_PER_SLICE } from '../../sim/model/reindex-tasks';
import { elkctl, takeViolations, lostDocuments, reindexWorld } from './world';

jest.setTimeout(30_000);

// Every answer the simulator gave conforms to the official client's response types.
afterEach(() => expect(takeViolations()).toEqual([]));

/**
 * The order that loses documents: a synchronous `_reindex` through the load balancer, and the source deleted as soon
 * as the call returns, whatever it said. The same scenarios through `elkctl reindex` lose nothing.
 */
async function naive(url: string, source: string, dest: string): Promise<number> {
  const r = await fetch(`${url}/_reindex`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ source: { index: source }, dest: { index: dest } }),
  });
  await r.text();
  await fetch(`${url}/${source}`, { method: 'DELETE' }).then((x) => x.text());
  await fetch(`${url}/_aliases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ actions: [{ add: { index: dest, alias: source } }] }),
  }).then((x) => x.text());
  return r.status;
}

describe('the naive order loses documents, elkctl reindex does not', () => {
  // 5,000,000 documents on 2 shards take 500 s to copy: longer than the load balancer's idle timeout.
  const big = [{ name: 'logs-a', shards: 2, docs: 5_000_000 }];

  it('synchronous reindex cut by the load balancer, source deleted on the answer: documents lost', async () => {
    const { world, target, before, client } = await reindexWorld(big);
    try {
      const url = (client.connectionPool.connections[0]!.url as URL).origin;
      const status = await naive(url, 'logs-a', 'logs-a-r');
      expect(status).toBe(504);
      expect(world.now).toBe(LB_IDLE_TIMEOUT_SECONDS);
      world.advanceTo(world.now + 600);
      await client.count({ index: 'logs-a' }); // lets the (now failing) task catch up
      const lost = lostDocuments(world, 'logs-a', before.get('logs-a')!);
      // One slice (the default) copied for 350 s before the source went away.
      expect(lost).toBe(5_000_000 - LB_IDLE_TIMEOUT_SECONDS * DOCS_PER_SECOND_PER_SLICE);
    } finally {
      await target.close();
    }
  });

  it('synchronous reindex that fails half-way answers 200, source deleted: documents lost', async () => {
    const { world, target, before, client } = await reindexWorld(
      [{ name: 'logs-a', shards: 2, docs: 200_000 }],
      [{ kind: 'reindex-failure', at: 0, fraction: 0.5, count: 1 }],
    );
    try {
      const url = (client.connectionPool.connections[0]!.url as URL).origin;
      expect(await naive(url, 'logs-a', 'logs-a-r')).toBe(200);
      expect(lostDocuments(world, 'logs-a', before.get('logs-a')!)).toBe(100_000);
    } finally {
      await target.close();
    }
  });

  it.each([
    ['the same 5,000,000 documents', big, []],
    [
      'the same failure half-way',
      [{ name: 'logs-a', shards: 2, docs: 200_000 }],
      [{ kind: 'reindex-failure', at: 0, fraction: 0.5, count: 1 }],
    ],
  ] as const)('elkctl reindex with %s: 0 lost', async (_what, indices, faults) => {
    const { world, target, before } = await reindexWorld([...indices], [...faults] as never);
    try {
      const { code } = await elkctl(target, 'logs-a');
      expect(code).toBe(0);
      expect(lostDocuments(world, 'logs-a', before.get('logs-a')!)).toBe(0);
    } finally {
      await target.close();
    }
  });
});
