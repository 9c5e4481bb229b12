/**
 * Progress and plan of a rollout, derived from one observation (pure): what `elkctl roll status` and `roll plan`
 * print. Estimates: a data node's bytes ÷ recovery bandwidth, plus boot and join; with maxSurge, a batch of the size
 * the next surge would take (parallel.ts) drains side by side and takes as long as its largest node.
 */
import { buildContext, shardsOnNode, ownedExclusions } from './context';
import { decide } from './decide';
import { methodFor } from './handoff';
import { inFlightWorkOn } from './in-flight-snapshots';
import { batchSize, zoneLaunches } from './zone-launch';
import type { FleetGroup } from './fleet-port';
import { type Decision, type EsView, type Observed, type RolloutSpec, isUnknown } from './types';

export interface NodeProgress {
  readonly instanceId: string;
  readonly group: string;
  readonly role: 'master' | 'data';
  readonly lifecycleState: string;
  /** Elasticsearch version, or "-" when the instance has not joined. */
  readonly version: string;
  readonly outdated: boolean;
  readonly shards: number;
  readonly bytes: number;
  /** For the node being drained: percent of its data already moved (estimated against the average data node). */
  readonly drainingPercent?: number;
  readonly excluded: boolean;
  readonly votingExcluded: boolean;
  readonly electedMaster: boolean;
  /** How the node is replaced (rollout.method, per node: handoff where safe) and why (handoff.ts). */
  readonly method: 'drain' | 'handoff';
  readonly methodWhy: string;
}

export interface EstimateModel {
  readonly recoveryBytesPerSecond: number;
  /** Launch until the instance has joined (boot + join). */
  readonly joinSeconds: number;
  readonly pollSeconds: number;
}

export interface Progress {
  readonly nodes: readonly NodeProgress[];
  readonly replaced: number;
  readonly total: number;
  readonly next: Decision;
  readonly etaSeconds: number;
}

export interface PlanStep {
  readonly action: string;
  readonly node?: string;
  readonly detail: string;
  readonly seconds: number;
}

export function progress(observed: Observed, spec: RolloutSpec, model: EstimateModel): Progress | { unknown: string } {
  if (isUnknown(observed.es)) return { unknown: `Elasticsearch: ${observed.es.unknown}` };
  if (isUnknown(observed.fleet)) return { unknown: `Auto Scaling: ${observed.fleet.unknown}` };
  const ctx = buildContext(spec, observed.es, observed.fleet, observed.now);
  if ('missing' in ctx) return { unknown: `Auto Scaling group ${ctx.missing} not found` };
  const es = observed.es;
  const excluded = new Set(ownedExclusions(ctx));
  const dataNodes = es.nodes.filter((n) => n.roles.some((r) => r === 'data' || r.startsWith('data_')));
  const avg =
    dataNodes.length === 0
      ? 0
      : dataNodes.reduce((a, n) => a + shardsOnNode(es, n.name).reduce((b, s) => b + s.bytes, 0), 0) /
        Math.max(1, dataNodes.length - excluded.size);
  const nodes: NodeProgress[] = [];
  for (const g of [ctx.data, ctx.master]) {
    for (const i of g.group.instances) {
      const n = ctx.nodesByName.get(i.instanceId);
      const held = shardsOnNode(es, i.instanceId);
      const bytes = held.reduce((a, s) => a + s.bytes, 0);
      const isExcluded = excluded.has(i.instanceId);
      nodes.push({
        instanceId: i.instanceId,
        group: g.group.name,
        role: g.role,
        lifecycleState: i.lifecycleState,
        version: n?.version ?? '-',
        outdated: i.launchTemplateVersion !== g.group.targetLaunchTemplateVersion,
        shards: held.length,
        bytes,
        ...(isExcluded && avg > 0 ? { drainingPercent: Math.max(0, Math.min(100, 100 * (1 - bytes / avg))) } : {}),
        excluded: isExcluded,
        votingExcluded: es.votingExclusions.includes(i.instanceId),
        electedMaster: es.electedMaster === i.instanceId,
        ...(({ method, why }) => ({ method, methodWhy: why }))(methodFor(ctx, g, i.instanceId)),
      });
    }
  }
  const outdatedLive = [...ctx.data.outdated, ...ctx.master.outdated];
  const total = ctx.data.baseline + ctx.master.baseline;
  const replaced = Math.max(0, total - outdatedLive.length);
  const perNode = (bytes: number) => bytes / model.recoveryBytesPerSecond + model.joinSeconds + 3 * model.pollSeconds;
  let eta = 0;
  const toDrain: number[] = [];
  for (const i of ctx.data.outdated) {
    const n = nodes.find((x) => x.instanceId === i.instanceId);
    const b = n?.bytes ?? avg;
    if (n?.method === 'handoff' && !excluded.has(i.instanceId)) eta += handoffSeconds(model);
    else if (excluded.has(i.instanceId)) eta += b / model.recoveryBytesPerSecond + model.pollSeconds;
    else toDrain.push(b);
  }
  // maxSurge: the drains of one batch run side by side (parallel.ts), so a batch takes as long as its largest node.
  for (const batch of batches(toDrain, batchSize(ctx, ctx.data))) eta += perNode(Math.max(...batch));
  eta += ctx.master.outdated.length * perNode(0);
  return { nodes, replaced, total, next: decide(observed, spec), etaSeconds: Math.round(eta) };
}

/** `list` sorted ascending, cut into batches of `size` (the smallest nodes first, as the candidate order takes them). */
function batches<T extends number | { readonly bytes: number }>(list: readonly T[], size: number): T[][] {
  const key = (x: T) => (typeof x === 'number' ? x : x.bytes);
  const sorted = [...list].sort((a, b) => key(a) - key(b));
  const out: T[][] = [];
  for (let i = 0; i < sorted.length; i += Math.max(1, size)) out.push(sorted.slice(i, i + Math.max(1, size)));
  return out;
}

/** A handoff: stop and detach, the replacement's boot and join, a few polls of catch-up (only what changed). */
const handoffSeconds = (model: EstimateModel): number => model.joinSeconds + 4 * model.pollSeconds;

/** The steps a rollout would take from here, in order, with estimated durations. */
export function plan(observed: Observed, spec: RolloutSpec, model: EstimateModel): PlanStep[] | { unknown: string } {
  const p = progress(observed, spec, model);
  if ('unknown' in p) return p;
  const steps: PlanStep[] = [];
  const first = p.next;
  steps.push({
    action: `now: ${first.action.type}`,
    detail: first.blockedBy ? `blocked by ${first.blockedBy}: ${first.reason}` : first.reason,
    seconds: 0,
  });
  const ctx = buildContext(spec, observed.es as EsView, observed.fleet as FleetGroup[], observed.now);
  if (!('missing' in ctx)) {
    for (const g of [ctx.data, ctx.master]) {
      const extra = Math.min(g.capacity, g.baseline) - g.target;
      for (let k = 0; k < extra; k++) {
        steps.push({
          action: 'scale-in',
          node: g.group.name,
          detail: `planned scale-in ${g.baseline - k} → ${g.baseline - k - 1} (count ${g.target}): one node leaves through the drain`,
          seconds: 0,
        });
        if (g.role === 'data') {
          const avg = p.nodes.filter((n) => n.role === 'data').reduce((a, n) => a + n.bytes, 0) / g.live.length;
          steps.push({
            action: 'wait-for-drain',
            detail: `about ${(avg / 1024 ** 3).toFixed(1)} GiB (an average data node)`,
            seconds: Math.round(avg / model.recoveryBytesPerSecond),
          });
        } else {
          steps.push({ action: 'voting-exclusion', detail: 'a master other than the elected one', seconds: 0 });
        }
        steps.push({ action: 'terminate', detail: 'with ShouldDecrementDesiredCapacity', seconds: model.pollSeconds });
      }
    }
  }
  const outdated = p.nodes.filter((n) => n.outdated && !['Terminating', 'Terminated'].includes(n.lifecycleState));
  const data = outdated
    .filter((n) => n.role === 'data')
    .sort((a, b) => Number(b.excluded) - Number(a.excluded) || a.bytes - b.bytes);
  const masters = outdated
    .filter((n) => n.role === 'master')
    .sort((a, b) => Number(a.electedMaster) - Number(b.electedMaster));
  const bound = spec.options.inFlightTaskTimeoutSeconds;
  const es = observed.es as Exclude<Observed['es'], { unknown: string }>;
  // in-flight-tasks: every termination first waits for long-running tasks on the node, bounded.
  const beforeTerminate = (node: string) => {
    const running = inFlightWorkOn(es, node);
    if (running.length > 0) {
      steps.push({
        action: 'wait-for-tasks',
        node,
        detail: `${[...new Set(running.map((t) => t.action))].join(', ')} running: waits for them to end, at most ${bound} s (in-flight-tasks)`,
        seconds: bound,
      });
    }
  };
  const terminateDetail = `with ShouldDecrementDesiredCapacity, once no reindex, update/delete by query, force merge or shard snapshot runs on it (at most ${bound} s)`;
  const ctxOk = 'missing' in ctx ? undefined : ctx;
  const fresh: NodeProgress[] = [];
  /** Drain, terminate and clear one node; `beside` names the batch's largest node it drains next to (no own time). */
  const drainSteps = (n: NodeProgress, beside?: string) => {
    const gib = `${(n.bytes / 1024 ** 3).toFixed(1)} GiB at ${(model.recoveryBytesPerSecond / 1024 ** 2).toFixed(0)} MiB/s`;
    steps.push({
      action: 'wait-for-drain',
      node: n.instanceId,
      detail: beside ? `${gib}, side by side with ${beside}` : gib,
      seconds: beside ? 0 : Math.round(n.bytes / model.recoveryBytesPerSecond),
    });
    beforeTerminate(n.instanceId);
    steps.push({ action: 'terminate', node: n.instanceId, detail: terminateDetail, seconds: 0 });
    steps.push({
      action: 'clear-exclusion',
      node: n.instanceId,
      detail: 'once it left the cluster',
      seconds: model.pollSeconds,
    });
  };
  for (const n of data) {
    if (n.method === 'handoff' && !n.excluded) {
      steps.push({
        action: 'handoff-begin',
        node: n.instanceId,
        detail: `${n.methodWhy}; allocation: primaries`,
        seconds: 0,
      });
      steps.push({
        action: 'handoff-stop',
        node: n.instanceId,
        detail: 'stop Elasticsearch, detach the volume, terminate without decrement',
        seconds: 0,
      });
      steps.push({
        action: 'wait-for-join',
        detail: 'the replacement attaches the volume and joins with the target version',
        seconds: model.joinSeconds,
      });
      steps.push({
        action: 'handoff-rejoined',
        node: n.instanceId,
        detail: 'allocation enabled; replicas replay what changed',
        seconds: 4 * model.pollSeconds,
      });
      continue;
    }
    if (n.excluded) drainSteps(n);
    else fresh.push(n);
  }
  // maxSurge: one surge per batch, its drains side by side (parallel.ts); the batch takes as long as its largest node.
  const zonesChosen = ctxOk ? zoneLaunches(ctxOk, ctxOk.data) !== undefined : false;
  for (const batch of batches(fresh, ctxOk ? batchSize(ctxOk, ctxOk.data) : 1)) {
    const reasons = [...new Set(batch.map((n) => n.methodWhy).filter((w) => w.startsWith('drain instead')))];
    const why = reasons.length > 0 ? ` (${reasons.join('; ')})` : '';
    // Into chosen zones (zone-launch.ts): launched into the zones the batch drains from, then attached.
    const how = zonesChosen && batch.length > 1 ? ', launched into the zones its drains come from and attached' : '';
    steps.push({
      action: 'surge',
      node: batch[0]!.group,
      detail: `desired capacity + ${batch.length}${how}${why}`,
      seconds: 0,
    });
    steps.push({
      action: 'wait-for-join',
      detail:
        batch.length === 1
          ? 'new node joins with the target version'
          : `${batch.length} new nodes join with the target version`,
      seconds: model.joinSeconds,
    });
    for (const n of batch)
      steps.push({ action: 'exclude', node: n.instanceId, detail: `${n.shards} shard copies`, seconds: 0 });
    const largest = batch[batch.length - 1]!;
    for (const n of batch) drainSteps(n, n === largest ? undefined : largest.instanceId);
  }
  for (const n of masters) {
    if (!n.votingExcluded) {
      steps.push({ action: 'surge', node: n.group, detail: 'desired capacity + 1', seconds: 0 });
      steps.push({ action: 'wait-for-join', detail: 'new master-eligible node joins', seconds: model.joinSeconds });
      steps.push({
        action: 'voting-exclusion',
        node: n.instanceId,
        detail: n.electedMaster ? 'elected master: abdicates' : '',
        seconds: 0,
      });
    }
    beforeTerminate(n.instanceId);
    steps.push({ action: 'terminate', node: n.instanceId, detail: terminateDetail, seconds: 0 });
    steps.push({ action: 'clear-voting-exclusions', detail: 'once it left the cluster', seconds: model.pollSeconds });
  }
  steps.push({
    action: 'cleanup',
    detail: 'restore cluster.routing.rebalance.enable, resume suspended processes, release the lock',
    seconds: 0,
  });
  return steps;
}
