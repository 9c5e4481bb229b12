/**
 * in-flight-tasks (issue #23): before the roll terminates a node, long-running tasks on it (reindex, update/delete by
 * query, force merge) and its unfinished shard snapshots (in-flight-snapshots.ts) would die with it. The roll waits for them, bounded by `inFlightTaskTimeoutSeconds` counted from
 * when this wait began (group tag `elk-cdk:rollout-tasks-wait` = "<node>@<seconds>"); after the bound it proceeds only
 * when every task left is one Elasticsearch resumes or retries by itself, and says so. Pure: the tasks come from the
 * observation (`_tasks`), the time from `ctx.now`.
 */
import type { Ctx, GroupState } from './context';
import { cancelHint, inFlightWorkOn } from './in-flight-snapshots';
import { TAG } from './tags';
import type { Decision, EsTaskView } from './types';

export const IN_FLIGHT_TASKS = 'in-flight-tasks';

/**
 * The `_tasks?actions=` filter the adapter observes with: long work that is lost with its node. Child tasks (`[s]`,
 * `[n]`) match the same prefixes. Persistent tasks (`…[c]`) are not listed: the master reassigns them to another node
 * by itself, and some (health node, GeoIP downloader, ML jobs) never end, so waiting for them would cost every node
 * the whole bound.
 */
export const IN_FLIGHT_TASK_ACTIONS: readonly string[] = [
  'indices:data/write/reindex*',
  'indices:data/write/update/byquery*',
  'indices:data/write/delete/byquery*',
  'indices:admin/forcemerge*',
];

/**
 * Whether Elasticsearch carries on a task by itself when its node leaves: a persistent task (its node-side action ends
 * in `[c]`) is reassigned by the master, a peer recovery is restarted on another node. Everything else is lost.
 */
export function resumedByElasticsearch(action: string): boolean {
  return action.endsWith('[c]') || action.startsWith('internal:index/shard/recovery/');
}

const describeTask = (t: EsTaskView): string => `${t.action} (${t.id}, running ${Math.round(t.runningSeconds)} s)`;

function waitMark(g: GroupState): { node: string; since: number } | undefined {
  const m = /^(.+)@(\d+(?:\.\d+)?)$/.exec(g.group.tags[TAG.tasksWait] ?? '');
  return m ? { node: m[1]!, since: Number(m[2]) } : undefined;
}

export interface TaskGate {
  /** Set when the roll must wait (or keep waiting): a wait-for-tasks decision reported as `in-flight-tasks`. */
  readonly decision?: Decision;
  /** Set when the roll proceeds past the bound: what it lets Elasticsearch resume, for the terminate reason. */
  readonly note?: string;
}

/** The in-flight-tasks decision for a node about to be terminated; empty when nothing runs on it. */
export function inFlightTasks(ctx: Ctx, g: GroupState, node: string): TaskGate {
  const tasks = inFlightWorkOn(ctx.es, node);
  if (tasks.length === 0) return {};
  const bound = ctx.spec.options.inFlightTaskTimeoutSeconds;
  const mark = waitMark(g);
  const since = mark && mark.node === node ? mark.since : undefined;
  const waited = since === undefined ? 0 : ctx.now - since;
  const lost = tasks.filter((t) => !resumedByElasticsearch(t.action));
  const labels = tasks.map(describeTask);
  if (waited > bound && lost.length === 0) {
    return {
      note:
        `; after waiting ${Math.round(waited)} s (bound ${bound} s) for ${labels.join(', ')}: ` +
        'Elasticsearch resumes or retries these on another node',
    };
  }
  const head = `${node} runs ${tasks.length} long-running task(s) that its termination would kill: ${labels.join(', ')}`;
  const reason =
    waited > bound
      ? `${head}; waited ${Math.round(waited)} s, past the bound of ${bound} s, but Elasticsearch does not resume ` +
        `${[...new Set(lost.map((t) => t.action))].join(', ')}: ${cancelHint(lost[0]!)} or let it finish; ` +
        'the roll goes on once the node runs none'
      : `${head}; waiting for them to finish (${Math.round(waited)} of at most ${bound} s)`;
  return {
    decision: {
      action: {
        type: 'wait-for-tasks',
        group: g.group.name,
        node,
        tasks: labels,
        ...(since === undefined ? { since: ctx.now } : {}),
      },
      reason,
      blockedBy: IN_FLIGHT_TASKS,
    },
  };
}
