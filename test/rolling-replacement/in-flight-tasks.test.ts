/**
 * in-flight-tasks on the core (issue #23): decide() before terminating a drained data node, with tasks in the
 * observation. The bound counts from the node's task-wait mark; after it, only tasks Elasticsearch resumes by itself
 * let the roll proceed.
 */
import { resumedByElasticsearch } from '../../lambda/rolling-replacement/core/in-flight-tasks';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { EsTaskView, RolloutSpec } from '../../lambda/rolling-replacement/core/types';
import { DEFAULT_OPTIONS } from '../../lambda/rolling-replacement/core/types';
import { decideIn, stage, withEs, withGroup, type World } from './gate-worlds';
import { spec } from './helpers';

const NODE = 'i-00000001';
const task = (action: string, node = NODE, runningSeconds = 300): EsTaskView => ({
  id: `id-${node}:7`,
  node,
  action,
  runningSeconds,
});
const withTasks = (w: World, tasks: readonly EsTaskView[]): World => withEs(w, (es) => ({ ...es, tasks }));
const at = (w: World, now: number): World => ({ ...w, now });
const marked = (w: World, value: string): World =>
  withGroup(w, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.tasksWait]: value } }));
const bounded = (seconds: number): RolloutSpec =>
  spec({ options: { ...DEFAULT_OPTIONS, inFlightTaskTimeoutSeconds: seconds } });

describe('in-flight-tasks before terminating a drained data node', () => {
  test('the terminate stage is what these tests start from', async () => {
    const { decision } = await stage('dataTerminate');
    expect(decision.action).toMatchObject({ type: 'terminate', instanceId: NODE });
  });

  test('a reindex on the node: waits, names the task, and starts the clock (since = now)', async () => {
    const { world } = await stage('dataTerminate');
    const d = decideIn(at(withTasks(world, [task('indices:data/write/reindex')]), 1000));
    expect(d.blockedBy).toBe('in-flight-tasks');
    expect(d.action).toEqual({
      type: 'wait-for-tasks',
      group: 'data-asg',
      node: NODE,
      tasks: [`indices:data/write/reindex (id-${NODE}:7, running 300 s)`],
      since: 1000,
    });
    expect(d.reason).toMatch(/waiting for them to finish \(0 of at most 3600 s\)/);
  });

  test('a task on another node does not hold this one', async () => {
    const { world } = await stage('dataTerminate');
    const d = decideIn(withTasks(world, [task('indices:data/write/reindex', 'i-00000002')]));
    expect(d.action).toMatchObject({ type: 'terminate', instanceId: NODE });
  });

  test('with the mark written, the wait goes on without restarting the clock', async () => {
    const { world } = await stage('dataTerminate');
    const d = decideIn(at(marked(withTasks(world, [task('indices:admin/forcemerge')]), `${NODE}@1000`), 2000));
    expect(d.action).toMatchObject({ type: 'wait-for-tasks', node: NODE });
    expect(d.action).not.toHaveProperty('since');
    expect(d.reason).toMatch(/1000 of at most 3600 s/);
  });

  test("another node's mark is stale: this node gets its own clock", async () => {
    const { world } = await stage('dataTerminate');
    const d = decideIn(at(marked(withTasks(world, [task('indices:admin/forcemerge')]), 'i-00000009@10'), 9000));
    expect(d.action).toMatchObject({ type: 'wait-for-tasks', since: 9000 });
  });

  test('past the bound, a task Elasticsearch does not resume keeps the node, with the call that ends the wait', async () => {
    const { world } = await stage('dataTerminate');
    const w = at(marked(withTasks(world, [task('indices:data/write/update/byquery')]), `${NODE}@0`), 700);
    const d = decideIn(w, bounded(600));
    expect(d.blockedBy).toBe('in-flight-tasks');
    expect(d.reason).toMatch(/past the bound of 600 s.*does not resume indices:data\/write\/update\/byquery/);
    expect(d.reason).toContain(`POST _tasks/id-${NODE}:7/_cancel`);
  });

  test('past the bound, tasks Elasticsearch resumes by itself no longer hold the node, and the reason says so', async () => {
    const { world } = await stage('dataTerminate');
    const w = at(marked(withTasks(world, [task('xpack/transform[c]')]), `${NODE}@0`), 700);
    const d = decideIn(w, bounded(600));
    expect(d.action).toMatchObject({ type: 'terminate', instanceId: NODE });
    expect(d.reason).toMatch(/after waiting 700 s \(bound 600 s\) for xpack\/transform\[c\].*resumes or retries/);
  });

  test('within the bound, even a task Elasticsearch resumes is waited for', async () => {
    const { world } = await stage('dataTerminate');
    const w = at(marked(withTasks(world, [task('xpack/transform[c]')]), `${NODE}@0`), 500);
    expect(decideIn(w, bounded(600)).blockedBy).toBe('in-flight-tasks');
  });

  test('a mixed set past the bound waits for the task that would be lost', async () => {
    const { world } = await stage('dataTerminate');
    const tasks = [task('xpack/transform[c]'), task('indices:data/write/reindex')];
    const d = decideIn(at(marked(withTasks(world, tasks), `${NODE}@0`), 700), bounded(600));
    expect(d.blockedBy).toBe('in-flight-tasks');
    expect(d.reason).toMatch(/does not resume indices:data\/write\/reindex:/);
  });

  test('which actions Elasticsearch resumes: persistent tasks and recoveries, not reindex or force merge', () => {
    expect(
      [
        'xpack/ml/job[c]',
        'internal:index/shard/recovery/start_recovery',
        'indices:data/write/reindex',
        'indices:admin/forcemerge',
        'indices:data/write/delete/byquery',
      ].map(resumedByElasticsearch),
    ).toEqual([true, true, false, false, false]);
  });
});

describe('in-flight-tasks when picking the next node', () => {
  test('an outdated node running a long task is drained after the others', async () => {
    const { world, decision } = await stage('exclude');
    expect(decision.action).toMatchObject({ type: 'exclude', node: NODE });
    const d = decideIn(withTasks(world, [task('indices:data/write/reindex')]));
    expect(d.action.type).toBe('exclude');
    expect(d.action).not.toMatchObject({ node: NODE });
  });
});
