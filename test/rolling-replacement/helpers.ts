import { buildContext, type Ctx } from '../../lambda/rolling-replacement/core/context';
import { DEFAULT_OPTIONS, type EsView, type RolloutSpec, isUnknown } from '../../lambda/rolling-replacement/core/types';
import { reconcile } from '../../lambda/rolling-replacement/reconcile';
import type { Decision, Outcome } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';

export function spec(overrides: Partial<RolloutSpec> = {}): RolloutSpec {
  return {
    rolloutId: 'r1',
    groups: { master: 'master-asg', data: 'data-asg' },
    targetVersion: '8.19.3',
    mode: 'roll',
    options: DEFAULT_OPTIONS,
    ...overrides,
  };
}

/** A context from a fake world, with the Elasticsearch view edited by `edit`. */
export async function ctxOf(world: FakeWorld, edit: (es: EsView) => EsView = (e) => e, s = spec()): Promise<Ctx> {
  const es = await world.observe();
  if (isUnknown(es)) throw new Error('es unknown');
  const fleet = await world.describeGroups([s.groups.data, s.groups.master]);
  const c = buildContext(s, edit(es), fleet, 0);
  if ('missing' in c) throw new Error(`missing ${c.missing}`);
  return c;
}

export interface DriveResult {
  outcome?: Outcome;
  decisions: Decision[];
  steps: number;
}

/**
 * Runs reconcile until the rollout ends. `duplicate` runs a second reconcile right after each one (a duplicate
 * invocation or a retry after a crash that happened after the action), before time passes.
 */
export async function drive(
  world: FakeWorld,
  s: RolloutSpec,
  o: { maxSteps?: number; duplicate?: boolean; onStep?: (step: number, w: FakeWorld) => void } = {},
): Promise<DriveResult> {
  const decisions: Decision[] = [];
  for (let step = 0; step < (o.maxSteps ?? 400); step++) {
    o.onStep?.(step, world);
    const runs = o.duplicate ? 2 : 1;
    for (let k = 0; k < runs; k++) {
      const r = await reconcile({ es: world, fleet: world, spec: s, now: step * 30, log: () => undefined });
      decisions.push(r.decision);
      if (r.outcome) return { outcome: r.outcome, decisions, steps: step };
    }
    world.tick();
  }
  return { decisions, steps: o.maxSteps ?? 400 };
}
