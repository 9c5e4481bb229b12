import type { StepResult, Strategy, StrategyFactory, StrategyWorld } from '../strategy';
import { esCall } from './es-call';

/**
 * The hand-written script teams write first. For each old node (data nodes first, masters last): terminate it (the
 * ASG launches a replacement), wait until it has left the cluster, wait for the replacement to join, wait for yellow,
 * then for green. After `greenTimeoutSeconds` it proceeds anyway when nothing is initializing or relocating and every
 * unassigned shard is a replica that only the version rule (node_version) keeps unassigned. Its progress lives in
 * memory: after a crash it starts over by terminating the next old node.
 */

type Phase =
  | { kind: 'pick' }
  | { kind: 'left'; node: string; since: number }
  | { kind: 'joined'; node: string; since: number; expected: number }
  | { kind: 'yellow'; node: string; since: number }
  | { kind: 'green'; node: string; since: number; greenSince: number };

class TerminateAndWaitGreen implements Strategy {
  private phase: Phase = { kind: 'pick' };

  constructor(
    private readonly pollSeconds: number,
    private readonly greenTimeoutSeconds: number,
    private readonly nodeTimeoutSeconds: number,
  ) {}

  async step(world: StrategyWorld): Promise<StepResult> {
    const now = world.now();
    const actions: { action: string; node?: string; reason: string }[] = [];
    const wait = (): StepResult => ({ wakeAfterSeconds: this.pollSeconds, actions });
    const p = this.phase;
    if (p.kind !== 'pick' && now - p.since > this.nodeTimeoutSeconds) {
      return {
        wakeAfterSeconds: 0,
        done: { outcome: 'failed', reason: `${p.node}: still waiting (${p.kind}) after ${this.nodeTimeoutSeconds}s` },
      };
    }
    switch (p.kind) {
      case 'pick': {
        const groups = await world.fleet.describeGroups([world.groups.data, world.groups.master]);
        for (const g of groups) {
          const old = g.instances
            .filter(
              (i) => i.lifecycleState === 'InService' && i.launchTemplateVersion !== g.targetLaunchTemplateVersion,
            )
            .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
          if (old.length === 0) continue;
          const victim = old[0];
          await world.fleet.terminateInstance(victim.instanceId, false);
          actions.push({ action: 'terminate', node: victim.instanceId, reason: `${g.name}: replace one old node` });
          this.phase = { kind: 'left', node: victim.instanceId, since: now };
          return wait();
        }
        return {
          wakeAfterSeconds: 0,
          actions,
          done: { outcome: 'completed', reason: 'all nodes at target' },
        };
      }
      case 'left': {
        const names = await this.nodeNames(world);
        if (names && !names.includes(p.node)) {
          const groups = await world.fleet.describeGroups([world.groups.data, world.groups.master]);
          const expected = groups.reduce((n, g) => n + g.desiredCapacity, 0);
          this.phase = { kind: 'joined', node: p.node, since: p.since, expected };
        }
        return wait();
      }
      case 'joined': {
        const names = await this.nodeNames(world);
        if (names && names.length >= p.expected) this.phase = { kind: 'yellow', node: p.node, since: p.since };
        return wait();
      }
      case 'yellow': {
        const h = await esCall(world, 'GET', '/_cluster/health');
        const status = (h.body as { status?: string } | undefined)?.status;
        if (h.status === 200 && (status === 'yellow' || status === 'green')) {
          this.phase = { kind: 'green', node: p.node, since: p.since, greenSince: now };
        }
        return wait();
      }
      case 'green': {
        const h = await esCall(world, 'GET', '/_cluster/health');
        const body = h.body as
          { status?: string; initializing_shards?: number; relocating_shards?: number } | undefined;
        if (h.status === 200 && body?.status === 'green') {
          actions.push({ action: 'green', node: p.node, reason: 'cluster green: next node' });
          this.phase = { kind: 'pick' };
          return { wakeAfterSeconds: 1, actions };
        }
        if (
          h.status === 200 &&
          now - p.greenSince >= this.greenTimeoutSeconds &&
          body?.initializing_shards === 0 &&
          body?.relocating_shards === 0 &&
          (await this.onlyVersionBlockedReplicas(world))
        ) {
          actions.push({
            action: 'proceed-yellow',
            node: p.node,
            reason: `not green after ${this.greenTimeoutSeconds}s; only replicas blocked by the version rule are unassigned`,
          });
          this.phase = { kind: 'pick' };
          return { wakeAfterSeconds: 1, actions };
        }
        return wait();
      }
    }
  }

  private async nodeNames(world: StrategyWorld): Promise<string[] | undefined> {
    const r = await esCall(world, 'GET', '/_cat/nodes?format=json&h=name');
    if (r.status !== 200 || !Array.isArray(r.body)) return undefined;
    return (r.body as { name: string }[]).map((n) => n.name);
  }

  private async onlyVersionBlockedReplicas(world: StrategyWorld): Promise<boolean> {
    const r = await esCall(world, 'GET', '/_cat/shards?format=json&h=index,shard,prirep,state');
    if (r.status !== 200 || !Array.isArray(r.body)) return false;
    const unassigned = (r.body as { index: string; shard: string; prirep: string; state: string }[]).filter(
      (s) => s.state === 'UNASSIGNED',
    );
    for (const s of unassigned) {
      if (s.prirep !== 'r') return false;
      const e = await esCall(world, 'POST', '/_cluster/allocation/explain', {
        index: s.index,
        shard: Number(s.shard),
        primary: false,
      });
      const body = e.body as
        | {
            can_allocate?: string;
            node_allocation_decisions?: { deciders?: { decider: string; decision: string }[] }[];
          }
        | undefined;
      if (e.status !== 200 || body?.can_allocate !== 'no') return false;
      const versionNo = (body.node_allocation_decisions ?? []).some((d) =>
        (d.deciders ?? []).some(
          (x) => (x.decider === 'node_version' || x.decider === 'index_version') && x.decision === 'NO',
        ),
      );
      if (!versionNo) return false;
    }
    return true;
  }
}

export const terminateAndWaitGreenStrategy: StrategyFactory = {
  name: 'terminate-and-wait-green',
  description:
    'hand-written script: terminate a node, wait for it to leave, for the replacement to join, then yellow and green',
  create: (o) => new TerminateAndWaitGreen(o.pollSeconds, o.greenTimeoutSeconds ?? 3600, o.nodeTimeoutSeconds ?? 86400),
};
