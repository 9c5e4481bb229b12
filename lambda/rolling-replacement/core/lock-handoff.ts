/**
 * Lock handoff between workflow executions (issue 12, finding 13). A newer deployment stops the running execution and
 * adopts the lock; but an execution that continued as a new one just before it was stopped (continue-as-new, every
 * 2,000 loops or 6 days) keeps running with the older rollout. Without an order both would adopt the lock back and
 * forth, each undoing the other's ownership. The lock carries the workflow start that holds it (tag
 * `elk-cdk:rollout-attempt`, "a<seconds>", kept across continue-as-new); an execution of an older start than the
 * lock's stops, touching nothing. Pure.
 */
import type { Ctx } from './context';
import { act } from './actions';
import { TAG } from './tags';
import type { Decision } from './types';

const seconds = (attempt: string | undefined): number | undefined => {
  const m = /^a(\d+)$/.exec(attempt ?? '');
  return m ? Number(m[1]) : undefined;
};

/** The lock's attempt, from either group. */
export function lockAttempt(ctx: Ctx): string | undefined {
  return ctx.data.group.tags[TAG.attempt] ?? ctx.master.group.tags[TAG.attempt];
}

/** Stop when a newer workflow start holds the lock; undefined when this execution may go on (or adopt). */
export function superseded(ctx: Ctx): Decision | undefined {
  const mine = seconds(ctx.spec.attempt);
  const holder = lockAttempt(ctx);
  const theirs = seconds(holder);
  if (mine === undefined || theirs === undefined || mine >= theirs) return undefined;
  const by = ctx.marks.id ?? 'another rollout';
  return act(
    { type: 'done', outcome: 'aborted', supersededBy: by },
    `superseded: the lock is held by ${by}, started later (${holder}) than this execution (${ctx.spec.attempt}); ` +
      'this execution stops and touches nothing (an older execution never takes the lock back)',
    'one-rollout-at-a-time',
  );
}

/** The lock is this rollout's, but an older workflow start holds it (a redeploy of the same change): take it over. */
export function newerAttempt(ctx: Ctx): boolean {
  const mine = seconds(ctx.spec.attempt);
  const theirs = seconds(lockAttempt(ctx));
  return mine !== undefined && theirs !== undefined && mine > theirs;
}
