/**
 * The named safety predicates. Each is a small pure function of the derived context and the step about to be taken,
 * returning pass, block (with a reason) or not-applicable. decide() runs the gate list of a step in order; the first
 * block wins and is reported by name. The catalogue in docs/rollout.md lists the same names.
 */
import {
  type Ctx,
  type GroupState,
  foreignExclusions,
  isDataNode,
  isMasterEligible,
  ownedExclusions,
  ownedVotingExclusions,
  shardsOnNode,
} from './context';
import type { ShardCopy, UnassignedExplanation } from './types';
import { drainHasDestination } from './destination';
import { diskHeadroom } from './disk';

export { diskHeadroom, drainHasDestination };
import { versionBlockedByLayout } from './layout';
import { sharedDrainingShard } from './parallel';
import { checkUpgradePath } from './versions';

export type PredicateResult =
  | { readonly status: 'pass' }
  | { readonly status: 'block'; readonly reason: string }
  | { readonly status: 'not-applicable'; readonly reason: string };

export type StepKind = 'start' | 'surge' | 'exclude' | 'voting-exclusion' | 'terminate';

export interface Subject {
  readonly step: StepKind;
  readonly group?: GroupState;
  /** Node name (= instance id) the step acts on. */
  readonly node?: string;
  /** An exclude that adds the node to drains already running (maxSurge > 1): ADD_TO_DRAIN_GATES apply. */
  readonly joining?: boolean;
}

export interface Predicate {
  readonly name: string;
  readonly checks: string;
  readonly why: string;
  readonly source: string;
  evaluate(ctx: Ctx, subject: Subject): PredicateResult;
}

const pass: PredicateResult = { status: 'pass' };
const block = (reason: string): PredicateResult => ({ status: 'block', reason });
const na = (reason: string): PredicateResult => ({ status: 'not-applicable', reason });

export const VERSION_DECIDERS: ReadonlySet<string> = new Set(['node_version', 'index_version']);

export type UnassignedClass = 'version-blocked' | 'pending' | 'blocked' | 'unexplained';

export interface ClassifiedShard {
  readonly shard: ShardCopy;
  readonly klass: UnassignedClass;
  /** For blocked shards: the deciders that said NO (other than the version deciders); for pending: canAllocate. */
  readonly detail: string;
}

const PENDING = new Set(['yes', 'throttled', 'allocation_delayed', 'awaiting_info', 'worse_balance', 'no_attempt']);

function findExplanation(ctx: Ctx, s: ShardCopy): UnassignedExplanation | undefined {
  return ctx.es.explanations.find((e) => e.index === s.index && e.shard === s.shard && e.primary === s.primary);
}

/**
 * Classifies every unassigned copy, without a cap: first from the shard layout (a replica whose primary sits on a node
 * newer than every node that could take it is version-blocked, see layout.ts), then by the decider names of
 * `_cluster/allocation/explain` (never by message text). Decisions of nodes this rollout is draining are ignored:
 * they say NO because of our own exclusion.
 */
export function classifyUnassigned(ctx: Ctx): ClassifiedShard[] {
  const draining = new Set(ownedExclusions(ctx));
  return ctx.es.shards
    .filter((s) => s.state === 'UNASSIGNED')
    .map((s): ClassifiedShard => {
      if (s.primary) return { shard: s, klass: 'blocked', detail: 'primary unassigned' };
      if (versionBlockedByLayout(ctx.es, s, draining)) {
        return { shard: s, klass: 'version-blocked', detail: 'node_version (primary on a newer node)' };
      }
      const e = findExplanation(ctx, s);
      if (!e) return { shard: s, klass: 'unexplained', detail: 'no allocation explanation' };
      if (PENDING.has(e.canAllocate)) return { shard: s, klass: 'pending', detail: e.canAllocate };
      const decisions = e.nodeDecisions.filter((d) => !draining.has(d.nodeName));
      if (e.canAllocate !== 'no' || decisions.length === 0) {
        return { shard: s, klass: 'unexplained', detail: `can_allocate=${e.canAllocate}` };
      }
      const others = new Set<string>();
      let versionNo = false;
      for (const d of decisions) {
        if (d.decision !== 'no') others.add(`decision ${d.decision} on ${d.nodeName}`);
        for (const name of d.noDeciders) {
          if (VERSION_DECIDERS.has(name)) versionNo = true;
          // same_shard on the node holding the primary is inherent to every replica, not a cause.
          else if (name !== 'same_shard') others.add(name);
        }
      }
      if (others.size === 0 && versionNo) return { shard: s, klass: 'version-blocked', detail: 'node_version' };
      const sameShardOnly = others.size === 0 && !versionNo;
      return {
        shard: s,
        klass: 'blocked',
        detail: sameShardOnly ? 'same_shard' : [...others].sort().join(', '),
      };
    });
}

const label = (s: ShardCopy) => `[${s.index}][${s.shard}] ${s.primary ? 'primary' : 'replica'}`;

function describe(list: readonly ClassifiedShard[], max = 3): string {
  const head = list.slice(0, max).map((c) => `${label(c.shard)} (${c.detail})`);
  return head.join('; ') + (list.length > max ? `; and ${list.length - max} more` : '');
}

export const clusterGreenOrVersionYellow: Predicate = {
  name: 'cluster-green-or-version-yellow',
  checks:
    'health is green, or yellow only because replicas are refused by the node_version / index_version deciders ' +
    '(classified by decider name from _cluster/allocation/explain)',
  why: 'a replica of a primary on an upgraded node cannot go to an older node; anything else unassigned is a real problem',
  source: 'checklist 6, 14, 15 [ECK predicate 5, OSK DetectShardStuckVersionMismatch, CAN, DOC 8.13 note]',
  evaluate(ctx) {
    const h = ctx.es.health;
    if (h.status === 'green') return pass;
    if (h.status === 'red') {
      const red = classifyUnassigned(ctx).filter((c) => c.shard.primary);
      return block(`cluster is red${red.length ? `: ${describe(red)}` : ''}`);
    }
    const cls = classifyUnassigned(ctx);
    const bad = cls.filter((c) => c.klass !== 'version-blocked');
    if (cls.length === 0) return block('cluster is yellow but no unassigned shard is listed yet');
    if (bad.length > 0) {
      const blocked = bad.filter((c) => c.klass === 'blocked');
      if (blocked.length > 0) return block(`yellow and allocation is refused: ${describe(blocked)}`);
      return block(`yellow and replicas are still being allocated: ${describe(bad)}`);
    }
    return pass;
  },
};

export const noShardActivity: Predicate = {
  name: 'no-shard-activity',
  checks: 'no relocating, initializing or in-flight-fetch shards, and wait_for_events=languid did not time out',
  why: 'a step taken while shards move can remove a copy that is still the source of a recovery',
  source: 'checklist 6 [ECK isSafeToRoll, OSK, IH, MNT]',
  evaluate(ctx) {
    const h = ctx.es.health;
    const parts: string[] = [];
    if (h.relocatingShards > 0) parts.push(`${h.relocatingShards} relocating`);
    if (h.initializingShards > 0) parts.push(`${h.initializingShards} initializing`);
    if (h.inFlightFetch > 0) parts.push(`${h.inFlightFetch} in-flight fetches`);
    if (h.timedOut) parts.push('pending cluster-state events (languid wait timed out)');
    return parts.length ? block(`shard activity: ${parts.join(', ')}`) : pass;
  },
};

function groupPresence(ctx: Ctx, g: GroupState): string | undefined {
  const desired = g.capacity;
  if (g.live.length !== desired) return `${g.group.name} has ${g.live.length} live instances, desired ${desired}`;
  for (const i of g.live) {
    if (i.lifecycleState !== 'InService') return `${i.instanceId} is ${i.lifecycleState}`;
    const n = ctx.nodesByName.get(i.instanceId);
    if (!n) return `${i.instanceId} (${g.group.name}) has not joined the cluster`;
    if (g.role === 'master' ? !isMasterEligible(n) : !isDataNode(n)) {
      return `${i.instanceId} joined without the ${g.role} role`;
    }
  }
  return undefined;
}

export const everyExpectedNodePresent: Predicate = {
  name: 'every-expected-node-present',
  checks:
    'each group has as many InService instances as its desired capacity and each one is in _cat/nodes with its role',
  why: 'a missing node means its shard copies are already gone; taking another node out could remove the last copy',
  source: 'checklist 7 [ECK healthyPods, NET, IH commission-node]',
  evaluate(ctx) {
    const problem = groupPresence(ctx, ctx.data) ?? groupPresence(ctx, ctx.master);
    return problem ? block(problem) : pass;
  },
};

export const previousReplacementComplete: Predicate = {
  name: 'previous-replacement-complete',
  checks:
    'no terminated instance is still a cluster member, and no exclusion or voting exclusion is left from an earlier ' +
    'step (other than the node this step acts on)',
  why: 'one node at a time: a new step starts only when the previous node is gone and its marks are cleared',
  source: 'checklist 7, 9 [ECK maybeCompleteNodeUpgrades, predicate 2]',
  evaluate(ctx, subject) {
    for (const n of ctx.es.nodes) {
      if (ctx.allInstanceIds.has(n.name) && !ctx.liveInstanceIds.has(n.name)) {
        return block(`${n.name} is terminating but still a cluster member`);
      }
    }
    // A node joining running drains (maxSurge): those drains are the current step, not a previous one.
    const running = (n: string) => subject.joining === true && ctx.liveInstanceIds.has(n);
    const excl = ownedExclusions(ctx).filter((n) => n !== subject.node && !running(n));
    if (excl.length) return block(`allocation exclusion still set for ${excl.join(', ')}`);
    const voting = ownedVotingExclusions(ctx).filter((n) => n !== subject.node);
    if (voting.length) return block(`voting config exclusion still set for ${voting.join(', ')}`);
    return pass;
  },
};

export const noForeignExclusions: Predicate = {
  name: 'no-foreign-exclusions',
  checks:
    'no allocation exclusion this rollout did not write names a live node, and no voting exclusion this rollout ' +
    'did not write exists (ownership is recorded in the group tags elk-cdk:rollout-excluded / -voting)',
  why:
    'someone else is draining that node or moving masters (an operator, ILM, another tool): the rollout would wait ' +
    "forever on it or take it for its own; voting exclusions can only be cleared all at once, so one of someone else's " +
    'would be cleared with ours. Refuse to start with its name; mid-roll, wait; never clear it',
  source: 'aesthetics §12 (never clear what you did not write); issue 12 finding 3',
  evaluate(ctx) {
    const f = foreignExclusions(ctx);
    if (f.allocation.length) {
      return block(
        `cluster.routing.allocation.exclude._name names ${f.allocation.join(', ')}, which this rollout did not ` +
          'exclude: remove it (or finish that drain) first',
      );
    }
    if (f.voting.length) {
      return block(
        `voting config exclusions name ${f.voting.join(', ')}, which this rollout did not write: ` +
          'remove them (DELETE _cluster/voting_config_exclusions) first',
      );
    }
    return pass;
  },
};

export const joinedWithTargetVersion: Predicate = {
  name: 'joined-with-target-version',
  checks: 'every instance launched from the target launch template runs the target Elasticsearch version',
  why: 'a node that came up with another version means the template does not match the rollout; never drain onto it',
  source: 'checklist 2, 7 [ECK revision hash, DOC]',
  evaluate(ctx) {
    let seen = 0;
    for (const g of [ctx.data, ctx.master]) {
      for (const i of g.live) {
        if (i.launchTemplateVersion !== g.group.targetLaunchTemplateVersion) continue;
        const n = ctx.nodesByName.get(i.instanceId);
        if (!n) continue;
        seen++;
        if (n.version !== ctx.spec.targetVersion) {
          return block(`${i.instanceId} runs ${n.version}, expected ${ctx.spec.targetVersion}`);
        }
      }
    }
    return seen === 0 ? na('no node from the target template has joined yet') : pass;
  },
};

export const surgeCapacityAvailable: Predicate = {
  name: 'surge-capacity-available',
  checks:
    "the group's MaxSize allows one instance above the baseline (above the count when a planned scale-in comes " +
    'first); checked before the lock too, so a full group is refused before anything is changed',
  why: 'a replacement is launched before the old node is drained (a new instance does not keep the old volume)',
  source: 'checklist 10 [ECK maxSurge, IH, AOS blue/green]',
  evaluate(_ctx, subject) {
    const g = subject.group;
    if (!g) return na('no group');
    // A planned scale-in (baseline above the count) runs before any surge: the surge starts from the count.
    const base = Math.min(g.baseline, g.target);
    return g.group.maxSize >= base + 1
      ? pass
      : block(`${g.group.name} MaxSize ${g.group.maxSize} leaves no room for a surge instance (needs ${base + 1})`);
  },
};

export const dataNodesFirst: Predicate = {
  name: 'data-nodes-first',
  checks: 'masters are replaced only when no data node is outdated, excluded or surged',
  why: 'older nodes cannot always join a cluster with an upgraded master; the last master goes after every non-master',
  source: 'checklist 8 [DOC, ECK predicates 1 and 8, OSK]',
  evaluate(ctx, subject) {
    if (subject.group?.role !== 'master') return na('not a master step');
    const d = ctx.data;
    if (d.outdated.length) return block(`${d.outdated.length} data node(s) still outdated`);
    if (d.capacity !== d.baseline) return block('the data group still has surge capacity');
    return pass;
  },
};

export const allMastersHealthy: Predicate = {
  name: 'all-masters-healthy',
  checks:
    'an elected master exists and every master instance is a master-eligible cluster member (one master at a time)',
  why: 'taking out a master while another is missing can lose the quorum: no master, writes stop',
  source: 'checklist 17 [ECK one_master_at_a_time, OSK quorum check, DOC]',
  evaluate(ctx, subject) {
    if (subject.group?.role !== 'master') return na('not a master step');
    if (!ctx.es.electedMaster) return block('no elected master');
    const missing = ctx.master.live.filter((i) => !isMasterEligible(ctx.nodesByName.get(i.instanceId)));
    if (missing.length) return block(`master instance ${missing[0]!.instanceId} is not a master-eligible member`);
    const masters = ctx.es.nodes.filter((n) => isMasterEligible(n)).length;
    if (masters < ctx.master.baseline)
      return block(`${masters} master-eligible nodes, expected ${ctx.master.baseline}`);
    return pass;
  },
};

export const votingExclusionsBelowLimit: Predicate = {
  name: 'voting-exclusions-below-limit',
  checks: 'adding one voting config exclusion keeps the list within cluster.max_voting_config_exclusions (10)',
  why: 'Elasticsearch rejects more; clusters should not carry exclusions in normal operation',
  source: 'checklist 17 [DOC, ECK]',
  evaluate(ctx, subject) {
    if (subject.step !== 'voting-exclusion') return na('not a voting exclusion');
    const n = ctx.es.votingExclusions.length;
    return n + 1 <= ctx.spec.options.maxVotingExclusions
      ? pass
      : block(`${n} voting exclusions already (limit ${ctx.spec.options.maxVotingExclusions})`);
  },
};

export const replicasFitRemainingNodes: Predicate = {
  name: 'replicas-fit-remaining-nodes',
  checks: 'every shard on the node has no more copies than the data nodes that remain without it',
  why: 'otherwise the drain can never finish (same_shard refuses the last place) and the node stays excluded forever',
  source: 'checklist 13 [ECK downscale docs]',
  evaluate(ctx, subject) {
    const node = subject.node;
    if (!node || !isDataNode(ctx.nodesByName.get(node))) return na('the node holds no data role');
    const excluded = new Set([...ownedExclusions(ctx), node]);
    const remaining = ctx.es.nodes.filter((n) => isDataNode(n) && !excluded.has(n.name)).length;
    const copies = new Map<string, number>();
    for (const s of ctx.es.shards) copies.set(`${s.index}/${s.shard}`, (copies.get(`${s.index}/${s.shard}`) ?? 0) + 1);
    for (const s of shardsOnNode(ctx.es, node)) {
      const c = copies.get(`${s.index}/${s.shard}`) ?? 0;
      if (c > remaining)
        return block(`[${s.index}][${s.shard}] has ${c} copies but only ${remaining} data nodes remain`);
    }
    return pass;
  },
};

export const oneCopyPerShardDraining: Predicate = {
  name: 'one-copy-per-shard-draining',
  checks:
    'a node joining running drains (rollout.maxSurge > 1) holds no shard that still has another copy on a draining ' +
    'node (a copy that finished relocating no longer counts)',
  why: 'parallel drains never put two copies of one shard at risk at once: at least one copy stays on a node that stays',
  source: 'issue 17 (parallel surge for drains); checklist 13 [ECK downscale]',
  evaluate(ctx, subject) {
    if (!subject.joining || !subject.node) return na('not joining running drains');
    const shared = sharedDrainingShard(ctx, subject.node);
    return shared ? block(`${subject.node} holds ${shared}`) : pass;
  },
};

export const strictlyDrained: Predicate = {
  name: 'strictly-drained',
  checks:
    'the node holds no shard copy (nor is a relocation target), nothing is unassigned without an explanation, and ' +
    'there is no shard activity',
  why: 'a shard with no node might still have its only copy on the leaving node',
  source: 'checklist 12 [ECK nodeMayHaveShard, OSK CheckPodSafeToDelete]',
  evaluate(ctx, subject) {
    const node = subject.node;
    if (!node) return na('no node');
    const held = shardsOnNode(ctx.es, node);
    if (held.length) {
      const bytes = held.reduce((a, s) => a + s.bytes, 0);
      return block(`${node} still holds ${held.length} shard copies (${bytes} bytes)`);
    }
    const orphan = classifyUnassigned(ctx).filter((c) => c.klass !== 'version-blocked');
    if (orphan.length) return block(`unassigned shards without a version explanation: ${describe(orphan)}`);
    const activity = noShardActivity.evaluate(ctx, subject);
    return activity.status === 'block' ? activity : pass;
  },
};

export const noLastCopyOnNode: Predicate = {
  name: 'no-last-copy-on-node',
  checks: 'no shard copy on the node is the last STARTED copy of its shard',
  why: 'terminating the holder of the last started copy loses documents',
  source: 'checklist 13 [ECK require_started_replica, predicate 9]',
  evaluate(ctx, subject) {
    const node = subject.node;
    if (!node) return na('no node');
    for (const s of shardsOnNode(ctx.es, node)) {
      const elsewhere = ctx.es.shards.some(
        (o) => o.index === s.index && o.shard === s.shard && o.state === 'STARTED' && o.node !== node,
      );
      if (!elsewhere) return block(`${node} holds the last started copy of [${s.index}][${s.shard}]`);
    }
    return pass;
  },
};

export const notElectedMaster: Predicate = {
  name: 'not-elected-master',
  checks: 'the node to terminate is not the elected master, and a master is elected',
  why: 'after its voting exclusion the elected master abdicates; terminate only once another master leads',
  source: 'checklist 17 [DOC voting exclusions, ECK]',
  evaluate(ctx, subject) {
    const node = subject.node;
    if (!node || !isMasterEligible(ctx.nodesByName.get(node))) return na('not master-eligible');
    if (!ctx.es.electedMaster) return block('no elected master');
    return ctx.es.electedMaster === node ? block(`${node} is still the elected master`) : pass;
  },
};

export const outOfVotingConfiguration: Predicate = {
  name: 'out-of-voting-configuration',
  checks:
    "a master-eligible node's id is absent from the last committed voting configuration " +
    '(metadata.cluster_coordination.last_committed_config), not only listed in the voting exclusions',
  why:
    'a voting exclusion that timed out (or is still being applied) leaves the node a voter: terminating it then ' +
    'removes a vote, and with one more failure the quorum',
  source: 'checklist 17 [DOC voting configuration exclusions, ES Coordinator; issue 12 finding 10]',
  evaluate(ctx, subject) {
    const node = subject.node;
    const view = node ? ctx.nodesByName.get(node) : undefined;
    if (!node || !isMasterEligible(view)) return na('not master-eligible');
    const committed = ctx.es.lastCommittedConfig;
    if (committed === undefined) return na('the voting configuration is not reported');
    return committed.includes(view!.id)
      ? block(`${node} (${view!.id}) is still in the last committed voting configuration`)
      : pass;
  },
};

export const versionPathAllowed: Predicate = {
  name: 'version-path-allowed',
  checks: 'no downgrade and no skipped major (8.x → 9.x only from 8.19, or 8.18 → 9.0), checked before any change',
  why: 'a node cannot go back to an older version; a skipped major cannot read the indices',
  source: 'checklist 25 [OSK validateUpgrade, DOC]',
  evaluate(ctx) {
    const r = checkUpgradePath(
      ctx.es.nodes.map((n) => n.version),
      ctx.spec.targetVersion,
    );
    return r.ok ? pass : block(r.reason);
  },
};

/** Predicates evaluated directly by decide() (not in a gate list); listed for the catalogue. */
export const DECISION_RULES: ReadonlyArray<Pick<Predicate, 'name' | 'checks' | 'why' | 'source'>> = [
  {
    name: 'observed-state-known',
    checks:
      'Elasticsearch and Auto Scaling answered (timeouts, 503 and connection errors become "unknown"); in an abort, ' +
      'and in a roll asked to stop (roll abort, a failure mark), the wait is bounded (15 min), then it stops naming ' +
      'what it left in place (tag elk-cdk:rollout-left)',
    why: 'under uncertainty, wait: a master failover answers 503 for seconds',
    source: 'checklist 27; aesthetics §0 [ECK expectations]',
  },
  {
    name: 'snapshot-before-roll',
    checks:
      'with rollout.snapshotBeforeRoll, before the lock (after the start gates): a snapshot of the whole cluster ' +
      '(pre-roll-<rolloutId>) is SUCCESS with no failed shard; the roll starts it, waits for it, and a FAILED or ' +
      'PARTIAL one stops the roll before anything changed',
    why: 'a roll moves every copy of every shard: a verified snapshot is the way back if one is lost',
    source: 'pre-roll-snapshot.ts; docs/rollout.md',
  },
  {
    name: 'not-paused',
    checks: 'no pause mark (elkctl roll pause) on the data group',
    why: 'an operator can hold the roll between steps',
    source: 'checklist 16',
  },
  {
    name: 'scale-in-protected',
    checks:
      'every live InService instance of both groups is protected from scale in (protected with the lock, again in ' +
      'the cleanup); the executor lifts it only on the instance it terminates, right before the termination',
    why:
      'a scale-in by Auto Scaling (a lowered desired capacity, AZRebalance) terminates a node of its own choice, ' +
      'undrained, possibly the half-drained one: documents lost',
    source: 'issue 12 finding 1',
  },
  {
    name: 'capacity-as-expected',
    checks:
      'the group runs the baseline or up to rollout.maxSurge above it (data; one for masters): the desired capacity, ' +
      'or more live instances when someone lowered it (protected instances stay; the extra one is removed like a ' +
      'surge, drained, without a decrement); raised by someone (desired above the surge, MinSize above the ' +
      'baseline), the roll adopts it as its baseline (raise-baseline) and a lower count drains it at the end',
    why:
      'never guess which instance to remove; never wait for a capacity nobody restores, nor terminate with a ' +
      'decrement below MinSize',
    source: 'checklist 9, 10; issue 12 findings 6, 13',
  },
  {
    name: 'replacement-joins-in-time',
    checks:
      'a surge instance joins with the target version within joinTimeoutSeconds, counted from when this wait began ' +
      '(the surge, or the first sight of the replacement of a node lost mid-cycle), not from the first surge; a ' +
      'batch launched into chosen zones is attached within 600 s of its first launch (its boots wait 900 s)',
    why: 'a replacement that never boots would hold the roll forever: fail, clean up, restore capacity',
    source: 'checklist 16, 23 [IH ABANDON on timeout]',
  },
  {
    name: 'in-flight-tasks',
    checks:
      'the node about to be terminated runs no long-running task (_tasks: reindex, update/delete by query, force ' +
      'merge); the wait is bounded by inFlightTaskTimeoutSeconds, counted from when it began, after which the roll ' +
      'proceeds only if every task left is one Elasticsearch resumes or retries by itself (persistent tasks, recoveries)',
    why: 'a terminated node kills the tasks it runs: a reindex or update by query stops half done and is not resumed',
    source: 'issue 23',
  },
  {
    name: 'drain-stalled',
    checks:
      'a drain makes progress: a copy of a draining node moves, or fewer copies or bytes are left than recorded (tag ' +
      'elk-cdk:rollout-drain-progress); after stallSeconds (30 min) without, the wait is named drain-stalled with the ' +
      'cause from allocation explain (current_node) by decider name and what the operator can do; a recovery the ' +
      'roll waits for at a health gate likewise (a copy initializing or fewer unassigned, tag ' +
      'elk-cdk:rollout-recovery-progress; the unassigned copy explained)',
    why: 'a drain that cannot finish would wait silently forever; the roll keeps waiting and never terminates the node',
    source: 'issue 12 finding 8',
  },
  {
    name: 'node-down',
    checks:
      'an InService, EC2-healthy instance of the Elasticsearch groups is a cluster member; one out of the cluster ' +
      'for rollout.nodeDownMinutes (15; clock in tag elk-cdk:node-missing) is marked Unhealthy (SetInstanceHealth) ' +
      'so Auto Scaling replaces it: by a 5-minute schedule outside a roll, by the roll while it waits inside one. ' +
      'One at a time; never without an elected master, never a data node while red, never a master without a ' +
      'majority of the others; not a new instance the roll waits for (its join timeout applies)',
    why:
      'EC2 health checks cannot see a stopped Elasticsearch process: the cluster would run a node short for ever, ' +
      'and a roll would wait for it for ever',
    source: 'issue 12 finding 7',
  },
  {
    name: 'one-rollout-at-a-time',
    checks:
      'a cluster holds one rollout lock (tag elk-cdk:rollout, its workflow start in elk-cdk:rollout-attempt); a newer ' +
      'rollout or start adopts it; an execution of an older start stops and touches nothing',
    why: 'two workflows acting on one cluster could remove two nodes at once',
    source: 'checklist 3; cdk.md §1 (concurrent run after a rollback)',
  },
];

export const PREDICATES: readonly Predicate[] = [
  versionPathAllowed,
  clusterGreenOrVersionYellow,
  noShardActivity,
  everyExpectedNodePresent,
  previousReplacementComplete,
  joinedWithTargetVersion,
  surgeCapacityAvailable,
  dataNodesFirst,
  allMastersHealthy,
  votingExclusionsBelowLimit,
  replicasFitRemainingNodes,
  drainHasDestination,
  diskHeadroom,
  strictlyDrained,
  noLastCopyOnNode,
  notElectedMaster,
  outOfVotingConfiguration,
  noForeignExclusions,
  oneCopyPerShardDraining,
];

/**
 * The gates of one more node joining running drains (maxSurge > 1): the exclude gates without no-shard-activity (the
 * running drains move shards), with one-copy-per-shard-draining. Not a step of its own: when a gate blocks, decide()
 * goes on with the running drains and the node waits (parallel.ts).
 */
export const ADD_TO_DRAIN_GATES: readonly Predicate[] = [
  clusterGreenOrVersionYellow,
  everyExpectedNodePresent,
  previousReplacementComplete,
  noForeignExclusions,
  joinedWithTargetVersion,
  oneCopyPerShardDraining,
  replicasFitRemainingNodes,
  drainHasDestination,
  diskHeadroom,
];

/** The gates of each step, in evaluation order. */
export const GATES: Readonly<Record<StepKind, readonly Predicate[]>> = {
  start: [
    versionPathAllowed,
    noForeignExclusions,
    clusterGreenOrVersionYellow,
    noShardActivity,
    everyExpectedNodePresent,
  ],
  surge: [
    versionPathAllowed,
    dataNodesFirst,
    clusterGreenOrVersionYellow,
    noShardActivity,
    everyExpectedNodePresent,
    previousReplacementComplete,
    noForeignExclusions,
    joinedWithTargetVersion,
    allMastersHealthy,
    surgeCapacityAvailable,
  ],
  exclude: [
    clusterGreenOrVersionYellow,
    noShardActivity,
    everyExpectedNodePresent,
    previousReplacementComplete,
    noForeignExclusions,
    joinedWithTargetVersion,
    replicasFitRemainingNodes,
    drainHasDestination,
    diskHeadroom,
  ],
  'voting-exclusion': [
    clusterGreenOrVersionYellow,
    noShardActivity,
    everyExpectedNodePresent,
    previousReplacementComplete,
    noForeignExclusions,
    joinedWithTargetVersion,
    allMastersHealthy,
    votingExclusionsBelowLimit,
  ],
  terminate: [
    strictlyDrained,
    noLastCopyOnNode,
    clusterGreenOrVersionYellow,
    noShardActivity,
    everyExpectedNodePresent,
    allMastersHealthy,
    notElectedMaster,
    outOfVotingConfiguration,
  ],
};

export interface GateOutcome {
  readonly blockedBy: string;
  readonly reason: string;
}

/** Runs a step's gates in order; the first block wins. */
export function runGates(ctx: Ctx, subject: Subject): GateOutcome | undefined {
  for (const p of subject.joining ? ADD_TO_DRAIN_GATES : GATES[subject.step]) {
    const r = p.evaluate(ctx, subject);
    if (r.status === 'block') return { blockedBy: p.name, reason: r.reason };
  }
  return undefined;
}
