/**
 * `elkctl reindex`: what the pure core (decide.ts) sees of one source index and what it may ask for. No SDK, no clock:
 * the shell (es.ts, run.ts) observes the cluster into a `ReindexObservation` and executes the `ReindexAction`.
 *
 * Progress lives in the cluster, never in the process: the source's write block, the destination index with its
 * marker (`_meta.elk_cdk_reindex` in its mapping: source, source uuid, task id, attempt), the task in `_tasks` (its
 * result is stored in `.tasks` because it ran with `wait_for_completion=false`), and after the swap the alias
 * `<source>` → `<source><suffix>`. A crash or Ctrl-C at any point resumes from what is observed.
 */

/** The marker written into the destination's mapping `_meta` (key `elk_cdk_reindex`). */
export interface ReindexMarker {
  readonly source: string;
  /** The source's index uuid: a later index with the same name is another index. */
  readonly sourceUuid: string;
  /** The `_reindex` task of the current attempt (`<node id>:<number>`), once recorded. */
  readonly task?: string;
  /** 1 for the first `_reindex`, +1 for each restart after a failed, lost or unclean task. */
  readonly attempt: number;
}

export const MARKER_KEY = 'elk_cdk_reindex';

/** What `GET _tasks/<id>` said about the current attempt's task. */
export type TaskObservation =
  | { readonly id: string; readonly state: 'running'; readonly total: number; readonly done: number }
  | {
      readonly id: string;
      readonly state: 'completed';
      readonly total: number;
      readonly created: number;
      /** Documents already in the destination (op_type create, conflicts proceed): not copied again. */
      readonly versionConflicts: number;
      /** Bulk or search failures, and the task's own error, as one line each. */
      readonly failures: readonly string[];
      readonly timedOut: boolean;
    }
  /** 404: the task is neither running nor stored (its node left while it ran). */
  | { readonly id: string; readonly state: 'missing' };

export interface SourceIndex {
  readonly uuid: string;
  /** `index.blocks.write` is true. */
  readonly writeBlocked: boolean;
  /** Aliases of the source; `writeIndex` when it is the alias's write index (explicitly, or its only index). */
  readonly aliases: readonly { readonly name: string; readonly writeIndex: boolean }[];
  /**
   * Where ILM counts the index's age from (`index.lifecycle.origination_date`, else `index.creation_date`), in epoch
   * ms: the copy keeps it, so a reindex does not restart the retention.
   */
  readonly originationMs?: number;
  /** The data stream the index backs, if any. */
  readonly dataStream?: string;
  /** Primaries' `indexing.index_total` at two moments `quietSeconds` apart (before the write block only). */
  readonly indexing?: { readonly before: number; readonly after: number; readonly seconds: number };
}

export interface Verification {
  readonly sourceCount: number;
  readonly destCount: number;
  /** Sampled source ids that `_mget` on the destination did not find. */
  readonly missingIds: readonly string[];
  readonly sampled: number;
  /** How many verifications in a row found different counts (including this one). */
  readonly mismatches: number;
}

export interface ReindexObservation {
  readonly source: string;
  readonly dest: string;
  /** The source as an index (absent after the swap, when the name is an alias). */
  readonly sourceIndex?: SourceIndex;
  /** The indices the name `source` is an alias of (after the swap: [dest]). */
  readonly sourceAliasOf?: readonly string[];
  /** The destination exists; its marker when it has one. */
  readonly destIndex?: { readonly marker?: ReindexMarker };
  /** The current attempt's task (from the marker's task id). */
  readonly task?: TaskObservation;
  /** A running `_reindex` into the destination that the marker does not name (a crash before it was recorded). */
  readonly unrecordedTask?: string;
  /** Filled when the core asked to verify. */
  readonly verification?: Verification;
}

export interface ReindexOptions {
  /** Restarts of `_reindex` after a failed or lost task before giving up. @default 3 */
  readonly maxAttempts: number;
  /** Verifications with different counts (polled) before giving up. @default 30 */
  readonly maxMismatches: number;
}

export const DEFAULT_REINDEX_OPTIONS: ReindexOptions = { maxAttempts: 3, maxMismatches: 30 };

export type ReindexAction =
  | { readonly type: 'done' }
  /** Nothing was changed for this index, or what was changed is kept; exit 1. */
  | { readonly type: 'refuse' }
  | { readonly type: 'block-writes' }
  | { readonly type: 'create-dest'; readonly marker: ReindexMarker; readonly originationMs?: number }
  | { readonly type: 'start-reindex'; readonly attempt: number }
  | { readonly type: 'record-task'; readonly marker: ReindexMarker }
  | { readonly type: 'wait-task'; readonly task: string }
  | { readonly type: 'verify' }
  /** Counts differ (a lagging search view): verify again after a poll. */
  | { readonly type: 'wait-counts' }
  /** One `_aliases` call: remove_index source, add alias source → dest, move the source's aliases to dest. */
  | { readonly type: 'swap'; readonly aliases: readonly { readonly name: string; readonly writeIndex: boolean }[] };

export interface ReindexDecision {
  readonly action: ReindexAction;
  readonly reason: string;
}
