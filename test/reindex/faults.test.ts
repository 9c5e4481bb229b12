import { dataOf } from '../../sim/model/indices-data';
import { EXIT_INTERRUPTED } from '../../lib/reindex/run';
import { elkctl, takeViolations, lostDocuments, reindexTasksStarted, reindexWorld } from './world';

jest.setTimeout(30_000);

// Every answer the simulator gave conforms to the official client's response types.
afterEach(() => expect(takeViolations()).toEqual([]));

describe('elkctl reindex loses no document under faults', () => {
  it('a task that fails half-way: the next attempt copies only what is missing', async () => {
    const { world, target, before } = await reindexWorld(
      [{ name: 'logs-a', shards: 2, docs: 200_000 }],
      [{ kind: 'reindex-failure', at: 0, fraction: 0.5, count: 1 }],
    );
    try {
      const { code, out } = await elkctl(target, 'logs-a');
      expect(out).toMatch(
        /start-reindex — task \S+ failed \(1 failures: es_rejected_execution_exception .*attempt 2 copies what is missing/,
      );
      expect(code).toBe(0);
      expect(reindexTasksStarted(world)).toBe(2);
      expect(lostDocuments(world, 'logs-a', before.get('logs-a')!)).toBe(0);
      // The second task skipped what the first had copied (op_type create): no document written twice.
      expect(dataOf(world.cluster.indices.find((i) => i.name === 'logs-a-r')!).indexTotal).toBe(200_000);
    } finally {
      await target.close();
    }
  });

  it('tasks that keep failing: gives up after --max-attempts, keeps the source and deletes nothing', async () => {
    const { world, target, before } = await reindexWorld(
      [{ name: 'logs-a', shards: 1, docs: 50_000 }],
      [{ kind: 'reindex-failure', at: 0, fraction: 0.3, count: 5 }],
    );
    try {
      const { code, out } = await elkctl(target, 'logs-a', { maxAttempts: 3 });
      expect(code).toBe(1);
      expect(out).toMatch(/refuse — task \S+ failed .*3 attempts made: giving up/);
      expect(reindexTasksStarted(world)).toBe(3);
      const names = world.cluster.indices.map((i) => i.name).sort();
      expect(names).toEqual(['logs-a', 'logs-a-r']);
      expect(lostDocuments(world, 'logs-a', before.get('logs-a')!)).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('counts that lag behind: waits until the copy counts every document, then swaps', async () => {
    const { world, target, before } = await reindexWorld(
      [{ name: 'logs-a', shards: 2, docs: 100_000 }],
      [{ kind: 'count-lag', from: 0, to: 400, seconds: 120 }],
    );
    try {
      const { code, out } = await elkctl(target, 'logs-a');
      expect(out).toMatch(/wait-counts — logs-a-r counts \d+ of 100000 documents: check again/);
      expect(code).toBe(0);
      expect(world.now).toBeGreaterThanOrEqual(100);
      expect(lostDocuments(world, 'logs-a', before.get('logs-a')!)).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('the node running the task is lost: the task is gone, the next attempt finishes the copy', async () => {
    // The coordinating node (and so the task's node) is the first master; it dies 80 s in, half-way through.
    const { world, target, before } = await reindexWorld(
      [{ name: 'logs-a', shards: 2, docs: 1_000_000 }],
      [{ kind: 'kill-node', at: 80, role: 'master', node: 'i-00000000000000001' }],
    );
    try {
      const { code, out } = await elkctl(target, 'logs-a');
      expect(out).toMatch(/task \S+ is gone without a stored result \(its node left\): attempt 2/);
      expect(code).toBe(0);
      expect(world.tasksKilled).toBe(1);
      expect(reindexTasksStarted(world)).toBe(2);
      expect(lostDocuments(world, 'logs-a', before.get('logs-a')!)).toBe(0);
    } finally {
      await target.close();
    }
  });

  it.each([1, 2, 3, 4])(
    'a crash after %i of the 5 actions: the next run resumes without a second copy or a delete',
    async (k) => {
      const { world, target, before } = await reindexWorld([{ name: 'logs-a', shards: 2, docs: 100_000 }]);
      try {
        const first = await elkctl(target, 'logs-a', { interruptAfter: k });
        expect(first.code).toBe(EXIT_INTERRUPTED);
        expect(world.cluster.indices.some((i) => i.name === 'logs-a')).toBe(true);
        const second = await elkctl(target, 'logs-a');
        expect(second.code).toBe(0);
        expect(reindexTasksStarted(world)).toBe(1);
        expect(lostDocuments(world, 'logs-a', before.get('logs-a')!)).toBe(0);
        expect(world.cluster.indices.map((i) => i.name)).toEqual(['logs-a-r']);
      } finally {
        await target.close();
      }
    },
  );
});
