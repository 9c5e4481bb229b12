import type {
  ReindexAction,
  ReindexDecision,
  ReindexMarker,
  ReindexObservation,
  ReindexOptions,
  TaskObservation,
} from './types';

/**
 * The next step of reindexing one source index, from what was observed: pure (no I/O, no clock), one action and its
 * reason. The order never changes: refuse writers → write-block the source → create the destination with the
 * marker → `_reindex` (async, sliced, op_type create) → record its task → follow it → verify (clean task, refreshed
 * counts equal, sampled ids present) → swap (one `_aliases` call removes the source and points its name at the
 * destination). Nothing is deleted before a verification passed; a failed, lost or unclean task starts the next
 * attempt, which copies only what is missing (op_type create skips the ids already there).
 */
export function decide(o: ReindexObservation, opts: ReindexOptions): ReindexDecision {
  const s = o.sourceIndex;
  if (!s) {
    if (o.sourceAliasOf?.length === 1 && o.sourceAliasOf[0] === o.dest) {
      return act({ type: 'done' }, `${o.source} is an alias of ${o.dest}: reindexed and swapped`);
    }
    if (o.sourceAliasOf) {
      return refuse(`${o.source} is an alias of ${o.sourceAliasOf.join(', ')}, not an index: name an index`);
    }
    return refuse(
      o.destIndex
        ? `no index ${o.source} but ${o.dest} exists: check by hand (nothing deleted)`
        : `no index ${o.source}`,
    );
  }
  if (s.dataStream) {
    return refuse(
      `${o.source} is a backing index of data stream ${s.dataStream}: not supported by elkctl reindex (docs/indices.md)`,
    );
  }
  const writer = s.aliases.find((a) => a.writeIndex);
  if (writer) return refuse(`${o.source} is the write index of alias ${writer.name}: roll the alias over first`);
  const marker = o.destIndex?.marker;
  if (o.destIndex && (!marker || marker.source !== o.source || marker.sourceUuid !== s.uuid)) {
    return refuse(
      `${o.dest} exists and is not this reindex's destination (${marker ? `marker of ${marker.source}` : 'no elk-cdk marker'}): ` +
        'delete it or choose another --dest-suffix',
    );
  }
  if (!s.writeBlocked) {
    const w = s.indexing;
    if (!w) return act({ type: 'refuse' }, 'internal: indexing activity not observed');
    if (w.after !== w.before) {
      return refuse(
        `${o.source} is being written to (${w.after - w.before} documents indexed in ${w.seconds} s): ` +
          'stop the writers or wait until it is no longer written to',
      );
    }
    return act({ type: 'block-writes' }, `no indexing in ${w.seconds} s: set index.blocks.write on ${o.source}`);
  }
  if (!o.destIndex || !marker) {
    return act(
      {
        type: 'create-dest',
        marker: { source: o.source, sourceUuid: s.uuid, attempt: 1 },
        originationMs: s.originationMs,
      },
      `create ${o.dest} from the current index template, with the reindex marker` +
        (s.originationMs !== undefined ? ` and ${o.source}'s ILM origination date` : ''),
    );
  }
  if (o.unrecordedTask && o.unrecordedTask !== marker.task) {
    const next: ReindexMarker = {
      ...marker,
      task: o.unrecordedTask,
      attempt: marker.task ? marker.attempt + 1 : marker.attempt,
    };
    return act({ type: 'record-task', marker: next }, `record running task ${o.unrecordedTask} in ${o.dest}'s marker`);
  }
  if (!marker.task) {
    return act(
      { type: 'start-reindex', attempt: marker.attempt },
      `start _reindex ${o.source} → ${o.dest} (wait_for_completion=false, slices=auto, op_type=create)`,
    );
  }
  const t = o.task;
  if (!t) return act({ type: 'refuse' }, `internal: task ${marker.task} not observed`);
  if (t.state === 'running') {
    return act({ type: 'wait-task', task: t.id }, `task ${t.id}: ${t.done}/${t.total} documents`);
  }
  const problem = taskProblem(t);
  if (problem) {
    if (marker.attempt >= opts.maxAttempts) {
      return refuse(
        `task ${t.id} ${problem}; ${marker.attempt} attempts made: giving up (the source is kept, write-blocked; ` +
          'run again with a higher --max-attempts once the cause is fixed)',
      );
    }
    return act(
      { type: 'start-reindex', attempt: marker.attempt + 1 },
      `task ${t.id} ${problem}: attempt ${marker.attempt + 1} copies what is missing`,
    );
  }
  const v = o.verification;
  if (!v) return act({ type: 'verify' }, `task ${t.id} completed cleanly: refresh and compare`);
  if (v.destCount > v.sourceCount) {
    return refuse(`${o.dest} has ${v.destCount} documents, ${o.source} ${v.sourceCount}: check by hand`);
  }
  if (v.destCount < v.sourceCount) {
    if (v.mismatches >= opts.maxMismatches) {
      return refuse(
        `${o.dest} still has ${v.destCount} documents after ${v.mismatches} checks, ${o.source} ${v.sourceCount}: ` +
          'nothing deleted',
      );
    }
    return act({ type: 'wait-counts' }, `${o.dest} counts ${v.destCount} of ${v.sourceCount} documents: check again`);
  }
  if (v.missingIds.length > 0) {
    return refuse(
      `${v.missingIds.length} of ${v.sampled} sampled ids not in ${o.dest} (${v.missingIds.slice(0, 3).join(', ')}): ` +
        'nothing deleted',
    );
  }
  return act(
    { type: 'swap', aliases: s.aliases },
    `${v.destCount} documents in both, ${v.sampled} sampled ids present: ` +
      `remove ${o.source} and alias ${o.source} → ${o.dest} in one _aliases call`,
  );
}

/** Why a completed or lost task is not a clean copy (undefined when it is). */
export function taskProblem(t: TaskObservation): string | undefined {
  if (t.state === 'running') return undefined;
  if (t.state === 'missing') return 'is gone without a stored result (its node left)';
  if (t.failures.length > 0) return `failed (${t.failures.length} failures: ${t.failures[0]})`;
  if (t.timedOut) return 'timed out';
  if (t.created + t.versionConflicts !== t.total) {
    return `copied ${t.created} and skipped ${t.versionConflicts} of ${t.total} documents`;
  }
  return undefined;
}

function act(action: ReindexAction, reason: string): ReindexDecision {
  return { action, reason };
}

function refuse(reason: string): ReindexDecision {
  return { action: { type: 'refuse' }, reason };
}

/** The steps `--plan` prints for what remains after the decision (no I/O). */
export function remainingSteps(o: ReindexObservation, d: ReindexDecision): string[] {
  const order = ['block-writes', 'create-dest', 'start-reindex', 'record-task', 'wait-task', 'verify', 'swap'];
  const text: Record<string, string> = {
    'block-writes': `set index.blocks.write on ${o.source}`,
    'create-dest': `create ${o.dest} from the current index template (marker in _meta.elk_cdk_reindex)`,
    'start-reindex': `_reindex ${o.source} → ${o.dest} asynchronously (slices=auto, op_type=create, conflicts=proceed)`,
    'record-task': `record the task id in ${o.dest}'s marker`,
    'wait-task': 'follow the task in _tasks until it completes',
    verify: `refresh, compare counts, check sampled ids in ${o.dest}`,
    swap: `one _aliases call: remove_index ${o.source}, add alias ${o.source} → ${o.dest}`,
  };
  const type = d.action.type === 'wait-counts' ? 'verify' : d.action.type;
  if (type === 'done') return [`nothing: ${d.reason}`];
  if (type === 'refuse') return [`refused: ${d.reason}`];
  return order.slice(order.indexOf(type)).map((k) => text[k]!);
}
