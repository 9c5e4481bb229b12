import { contractProblems, endpointOf } from '../../sim/es/contract/check';
import { dataOf } from '../../sim/model/indices-data';
import { elkctl, takeViolations, lostDocuments, reindexTasksStarted, reindexWorld } from './world';

jest.setTimeout(30_000);

// Every answer the simulator gave conforms to the official client's response types.
afterEach(() => expect(takeViolations()).toEqual([]));

describe('elkctl reindex against the simulator', () => {
  it('reindexes every matching index, verifies, swaps the name to an alias and deletes the source', async () => {
    const { world, target, before } = await reindexWorld([
      { name: 'logs-a', shards: 2, docs: 120_000 },
      { name: 'logs-b', shards: 1, docs: 30_000 },
      { name: 'other', shards: 1, docs: 10 },
    ]);
    try {
      const { code, out } = await elkctl(target, 'logs-*');
      expect(code).toBe(0);
      expect(out).toMatch(/logs-a: block-writes/);
      expect(out).toMatch(/logs-a: start-reindex .*wait_for_completion=false/);
      expect(out).toMatch(/logs-a: swap — 120000 documents in both, 100 sampled ids present/);
      expect(out).toMatch(/reindex: 2 swapped, 0 already done, 0 refused\n$/);
      const names = world.cluster.indices.map((i) => i.name).sort();
      expect(names).toEqual(['logs-a-r', 'logs-b-r', 'other']);
      expect([...dataOf(world.cluster.indices.find((i) => i.name === 'logs-a-r')!).aliases.keys()]).toEqual(['logs-a']);
      expect(lostDocuments(world, 'logs-a', before.get('logs-a')!)).toBe(0);
      expect(lostDocuments(world, 'logs-b', before.get('logs-b')!)).toBe(0);
      expect(reindexTasksStarted(world)).toBe(2);
      // ILM counts the copy's age from the source's creation, not from the reindex.
      const created = String(world.startEpochMs);
      expect(
        world.cluster.indices.find((i) => i.name === 'logs-a-r')!.settings.get('index.lifecycle.origination_date'),
      ).toBe(created);
      // A second run finds them done and changes nothing.
      const again = await elkctl(target, 'logs-*');
      expect(again.code).toBe(0);
      expect(again.out).toMatch(/logs-a: done — logs-a is an alias of logs-a-r/);
      expect(again.out).toMatch(/0 swapped, 2 already done/);
      expect(reindexTasksStarted(world)).toBe(2);
    } finally {
      await target.close();
    }
  });

  it('--plan prints the steps and changes nothing', async () => {
    const { world, target } = await reindexWorld([{ name: 'logs-a', shards: 2, docs: 1000 }]);
    try {
      const { code, out } = await elkctl(target, 'logs-a', { plan: true });
      expect(code).toBe(0);
      expect(out).toContain('logs-a → logs-a-r:\n  1. set index.blocks.write on logs-a\n');
      expect(out).toContain('7. one _aliases call: remove_index logs-a, add alias logs-a → logs-a-r');
      expect(world.cluster.indices.map((i) => i.name)).toEqual(['logs-a']);
      expect(world.cluster.indices[0]!.settings.get('index.blocks.write')).toBeUndefined();
    } finally {
      await target.close();
    }
  });

  it('refuses an index being written to and touches nothing of it', async () => {
    const { world, target } = await reindexWorld(
      [
        { name: 'logs-a', shards: 1, docs: 1000 },
        { name: 'logs-b', shards: 1, docs: 1000 },
      ],
      [{ kind: 'write-load', from: 0, to: 100_000, docsPerSecond: 5, index: 'logs-b' }],
    );
    try {
      const { code, out } = await elkctl(target, 'logs-*');
      expect(code).toBe(1);
      expect(out).toMatch(/logs-b: refuse — logs-b is being written to \(300 documents indexed in 60 s\)/);
      expect(out).toMatch(/1 swapped, 0 already done, 1 refused/);
      const b = world.cluster.indices.find((i) => i.name === 'logs-b')!;
      expect(b.settings.get('index.blocks.write')).toBeUndefined();
      expect(world.cluster.indices.some((i) => i.name === 'logs-b-r')).toBe(false);
    } finally {
      await target.close();
    }
  });

  it('refuses the write index of an alias', async () => {
    const { client, world, target } = await reindexWorld([{ name: 'logs-a', shards: 1, docs: 1000 }]);
    try {
      await client.indices.updateAliases({ actions: [{ add: { index: 'logs-a', alias: 'logs' } }] });
      const { code, out } = await elkctl(target, 'logs-a');
      expect(code).toBe(1);
      expect(out).toMatch(/refuse — logs-a is the write index of alias logs: roll the alias over first/);
      expect(world.cluster.indices.map((i) => i.name)).toEqual(['logs-a']);
    } finally {
      await target.close();
    }
  });

  it("moves the source's read aliases to the copy in the same swap", async () => {
    const { client, world, target, before } = await reindexWorld([
      { name: 'logs-a', shards: 1, docs: 1000 },
      { name: 'logs-b', shards: 1, docs: 1000 },
    ]);
    try {
      await client.indices.updateAliases({
        actions: [{ add: { index: 'logs-a', alias: 'all-logs' } }, { add: { index: 'logs-b', alias: 'all-logs' } }],
      });
      expect((await elkctl(target, 'logs-a')).code).toBe(0);
      const copy = world.cluster.indices.find((i) => i.name === 'logs-a-r')!;
      expect([...dataOf(copy).aliases.keys()].sort()).toEqual(['all-logs', 'logs-a']);
      expect(lostDocuments(world, 'logs-a', before.get('logs-a')!)).toBe(0);
    } finally {
      await target.close();
    }
  });
});

describe('contract of the reindex endpoints', () => {
  it.each([
    ['GET', '/_tasks/abc:12', 'tasks.get'],
    ['POST', '/_reindex?wait_for_completion=false', 'reindex'],
    ['POST', '/_aliases', 'indices.update_aliases'],
    ['GET', '/_resolve/index/logs-*', 'indices.resolve_index'],
    ['GET', '/_alias/logs', 'indices.get_alias'],
    ['POST', '/logs-a/_count', 'count'],
    ['POST', '/logs-a,logs-a-r/_refresh', 'indices.refresh'],
    ['GET', '/logs-a/_stats/indexing', 'indices.stats'],
    ['POST', '/logs-a-r/_mget', 'mget'],
    ['PUT', '/logs-a/_settings', 'indices.put_settings'],
    ['PUT', '/logs-a-r/_mapping', 'indices.put_mapping'],
    ['PUT', '/logs-a-r', 'indices.create'],
    ['DELETE', '/logs-a', 'indices.delete'],
  ])('%s %s is checked as %s', (method, url, endpoint) => {
    expect(endpointOf(method, url)).toBe(endpoint);
    expect(contractProblems(method, url, 200, { unexpected: true }).length).toBeGreaterThan(0);
  });
});
