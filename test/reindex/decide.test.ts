import { decide, remainingSteps, taskProblem } from '../../lib/reindex/decide';
import {
  DEFAULT_REINDEX_OPTIONS,
  type ReindexMarker,
  type ReindexObservation,
  type SourceIndex,
  type TaskObservation,
} from '../../lib/reindex/types';

const quiet = { before: 10, after: 10, seconds: 60 };
const src = (over: Partial<SourceIndex> = {}): SourceIndex => ({
  uuid: 'u1',
  writeBlocked: true,
  aliases: [],
  ...over,
});
const marker = (over: Partial<ReindexMarker> = {}): ReindexMarker => ({
  source: 'logs-a',
  sourceUuid: 'u1',
  attempt: 1,
  ...over,
});
const obs = (over: Partial<ReindexObservation> = {}): ReindexObservation => ({
  source: 'logs-a',
  dest: 'logs-a-r',
  sourceIndex: src(),
  ...over,
});
const completed = (over: Partial<Extract<TaskObservation, { state: 'completed' }>> = {}): TaskObservation => ({
  id: 'n:1',
  state: 'completed',
  total: 100,
  created: 100,
  versionConflicts: 0,
  failures: [],
  timedOut: false,
  ...over,
});
const withTask = (task: TaskObservation, m: Partial<ReindexMarker> = {}) =>
  obs({ destIndex: { marker: marker({ task: task.id, ...m }) }, task });
const verified = (sourceCount: number, destCount: number, missingIds: string[] = [], mismatches = 0) => ({
  ...withTask(completed()),
  verification: { sourceCount, destCount, missingIds, sampled: 100, mismatches },
});

const type = (o: ReindexObservation) => decide(o, DEFAULT_REINDEX_OPTIONS).action.type;

describe('decide: one step of reindexing one index', () => {
  it.each<[string, ReindexObservation, string, RegExp]>([
    [
      'the name is an alias of the copy',
      obs({ sourceIndex: undefined, sourceAliasOf: ['logs-a-r'] }),
      'done',
      /swapped/,
    ],
    [
      'the name is an alias of something else',
      obs({ sourceIndex: undefined, sourceAliasOf: ['x'] }),
      'refuse',
      /alias of x, not an index/,
    ],
    ['no such index', obs({ sourceIndex: undefined }), 'refuse', /no index logs-a$/],
    [
      'source gone, copy there',
      obs({ sourceIndex: undefined, destIndex: { marker: marker() } }),
      'refuse',
      /check by hand \(nothing deleted\)/,
    ],
    [
      'a backing index of a data stream',
      obs({ sourceIndex: src({ dataStream: 'logs-x-default' }) }),
      'refuse',
      /backing index of data stream logs-x-default/,
    ],
    [
      'the write index of an alias',
      obs({ sourceIndex: src({ aliases: [{ name: 'logs', writeIndex: true }] }) }),
      'refuse',
      /write index of alias logs/,
    ],
    [
      'indexed into during the quiet window',
      obs({ sourceIndex: src({ writeBlocked: false, indexing: { before: 10, after: 13, seconds: 60 } }) }),
      'refuse',
      /being written to \(3 documents indexed in 60 s\)/,
    ],
    [
      'a copy that is not ours',
      obs({ destIndex: {} }),
      'refuse',
      /not this reindex's destination \(no elk-cdk marker\)/,
    ],
    [
      'a copy of another source (same name, new uuid)',
      obs({ destIndex: { marker: marker({ sourceUuid: 'old' }) } }),
      'refuse',
      /not this reindex's destination/,
    ],
    [
      'quiet and not blocked',
      obs({ sourceIndex: src({ writeBlocked: false, indexing: quiet }) }),
      'block-writes',
      /no indexing in 60 s/,
    ],
    ['blocked, no copy', obs(), 'create-dest', /create logs-a-r/],
    ['copy without task', obs({ destIndex: { marker: marker() } }), 'start-reindex', /wait_for_completion=false/],
    [
      'a task started but not recorded (crash)',
      obs({ destIndex: { marker: marker() }, unrecordedTask: 'n:7' }),
      'record-task',
      /record running task n:7/,
    ],
    ['running', withTask({ id: 'n:1', state: 'running', total: 100, done: 40 }), 'wait-task', /40\/100/],
    [
      'gone with its node',
      withTask({ id: 'n:1', state: 'missing' }),
      'start-reindex',
      /gone without a stored result.*attempt 2/,
    ],
    [
      'failures',
      withTask(completed({ failures: ['es_rejected_execution_exception: x'] })),
      'start-reindex',
      /failed \(1 failures/,
    ],
    ['timed out', withTask(completed({ timedOut: true })), 'start-reindex', /timed out/],
    [
      'counters that do not add up',
      withTask(completed({ created: 60, versionConflicts: 30 })),
      'start-reindex',
      /copied 60 and skipped 30 of 100/,
    ],
    [
      'last attempt failed',
      withTask(completed({ failures: ['x'] }), { attempt: 3 }),
      'refuse',
      /3 attempts made: giving up/,
    ],
    [
      'clean, not verified yet',
      withTask(completed({ created: 40, versionConflicts: 60 })),
      'verify',
      /completed cleanly/,
    ],
    ['counts lag', verified(100, 90), 'wait-counts', /counts 90 of 100/],
    ['counts lag too long', verified(100, 90, [], 30), 'refuse', /after 30 checks.*nothing deleted/],
    ['more in the copy', verified(100, 101), 'refuse', /101 documents, logs-a 100/],
    [
      'sampled ids missing',
      verified(100, 100, ['logs-a#3']),
      'refuse',
      /1 of 100 sampled ids not in logs-a-r \(logs-a#3\)/,
    ],
    ['verified', verified(100, 100), 'swap', /100 documents in both, 100 sampled ids present/],
  ])('%s → %s', (_what, o, action, reason) => {
    const d = decide(o, DEFAULT_REINDEX_OPTIONS);
    expect(d.action.type).toBe(action);
    expect(d.reason).toMatch(reason);
  });

  it('never deletes before a verification with equal counts and every sampled id', () => {
    expect(type(withTask(completed()))).not.toBe('swap');
    expect(type(verified(100, 99))).not.toBe('swap');
    expect(type(verified(100, 100, ['x']))).not.toBe('swap');
  });

  it('the next attempt is recorded with its number, and a first task with attempt 1', () => {
    const restarted = decide(
      { ...withTask(completed({ failures: ['x'] })), unrecordedTask: 'n:9' },
      DEFAULT_REINDEX_OPTIONS,
    );
    expect(restarted.action).toEqual({ type: 'record-task', marker: marker({ task: 'n:9', attempt: 2 }) });
    const firstTask = decide(obs({ destIndex: { marker: marker() }, unrecordedTask: 'n:5' }), DEFAULT_REINDEX_OPTIONS);
    expect(firstTask.action).toEqual({ type: 'record-task', marker: marker({ task: 'n:5', attempt: 1 }) });
  });

  it('checks writers only before the write block: a blocked index needs no quiet window', () => {
    expect(type(obs({ sourceIndex: src({ writeBlocked: true, indexing: undefined }) }))).toBe('create-dest');
    expect(type(obs({ sourceIndex: src({ writeBlocked: false, indexing: undefined }) }))).toBe('refuse');
  });

  it('creates the copy with the ILM origination date of the source, so the retention does not restart', () => {
    expect(
      decide(obs({ sourceIndex: src({ originationMs: 1_700_000_000_000 }) }), DEFAULT_REINDEX_OPTIONS).action,
    ).toEqual({
      type: 'create-dest',
      marker: marker(),
      originationMs: 1_700_000_000_000,
    });
  });

  it('moves the read aliases of the source in the swap', () => {
    const o = { ...verified(5, 5), sourceIndex: src({ aliases: [{ name: 'all', writeIndex: false }] }) };
    expect(decide(o, DEFAULT_REINDEX_OPTIONS).action).toEqual({
      type: 'swap',
      aliases: [{ name: 'all', writeIndex: false }],
    });
  });

  it('taskProblem is undefined for a running task and a clean one', () => {
    expect(taskProblem({ id: 'n:1', state: 'running', total: 1, done: 0 })).toBeUndefined();
    expect(taskProblem(completed())).toBeUndefined();
  });

  it('remainingSteps lists what is left from the current step on', () => {
    const o = obs({ destIndex: { marker: marker() } });
    const steps = remainingSteps(o, decide(o, DEFAULT_REINDEX_OPTIONS));
    expect(steps).toHaveLength(5);
    expect(steps[0]).toMatch(/^_reindex logs-a → logs-a-r asynchronously/);
    expect(steps.at(-1)).toMatch(/remove_index logs-a, add alias logs-a → logs-a-r/);
    const refused = obs({ sourceIndex: undefined });
    expect(remainingSteps(refused, decide(refused, DEFAULT_REINDEX_OPTIONS))).toEqual(['refused: no index logs-a']);
  });
});
