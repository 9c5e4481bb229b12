/**
 * The report page for `elkctl roll status --report`: the roll as it stands now and as the plan forecasts it (the
 * same estimates as `roll plan`). A live cluster keeps no history, so time 0 is now: each node's lane shows what it
 * does now and when the plan expects it to be drained and terminated; replacements still to come get their own
 * lanes; bytes left fall as the plan drains each node. Pure: no I/O.
 */
import type { NodeProgress, PlanStep, Progress } from '../../lambda/rolling-replacement/core/plan';
import type { NodeLane, Phase, RollReportData } from './model';

export interface StatusReportInput {
  readonly environment: string;
  readonly progress: Progress;
  readonly steps: readonly PlanStep[];
  readonly health: 'green' | 'yellow' | 'red';
  /** Seconds a launched instance needs to join (the plan's estimate), for nodes booting now. */
  readonly joinSeconds: number;
}

const DRAIN_START = new Set(['exclude', 'voting-exclusion', 'handoff-begin']);
const TERMINATE = new Set(['terminate', 'handoff-stop']);

export function statusReportData(i: StatusReportInput): RollReportData {
  const p = i.progress;
  // When each step starts, on the plan's clock.
  let t = 0;
  const timed = i.steps.map((s) => {
    const at = t;
    t += s.seconds;
    return { ...s, at, until: t };
  });
  const end = Math.max(t, 60);
  const first = (node: string, actions: Set<string>) => timed.find((s) => s.node === node && actions.has(s.action));

  const lanes: NodeLane[] = p.nodes.map((n) => laneOf(n, first, end, i.joinSeconds));
  // Replacements still to launch: a surge (or a handoff's replacement), then serving to the end.
  let k = 0;
  timed.forEach((s, idx) => {
    if (s.action !== 'surge' && s.action !== 'handoff-stop') return;
    const join = timed.slice(idx + 1).find((x) => x.action === 'wait-for-join');
    const joined = join ? join.until : s.until;
    const role = p.nodes.find((n) => n.group === s.node || n.instanceId === s.node)?.role ?? 'data';
    lanes.push({
      label: `replacement ${++k} (${role}, forecast)`,
      phases: [
        { phase: 'surge', from: s.at, to: joined },
        { phase: 'serving', from: joined, to: end },
      ],
    });
  });

  const outdatedData = p.nodes.filter((n) => n.role === 'data' && n.outdated);
  const total = outdatedData.reduce((a, n) => a + n.bytes, 0);
  let left = total;
  const bytes = [{ t: 0, moved: 0, left }];
  for (const s of timed) {
    if (s.action !== 'wait-for-drain' && s.action !== 'handoff-rejoined') continue;
    const n = outdatedData.find((x) => x.instanceId === s.node);
    if (!n) continue;
    left -= n.bytes;
    bytes.push({ t: s.until, moved: total - left, left });
  }
  const next = p.next;
  return {
    title: `Roll status of ${i.environment}: now and forecast`,
    source: `elkctl roll status --env ${i.environment} (time 0 = now; later times are the plan's estimates)`,
    summary: [
      ['progress', `${p.replaced}/${p.total} nodes replaced`],
      ['next', `${next.action.type}: ${next.reason}`],
      ['blocked by', next.blockedBy ?? '-'],
      ['health now', i.health],
      ['estimated time left', `${(p.etaSeconds / 3600).toFixed(2)} h`],
      ['bytes left on old data nodes', `${(total / 1024 ** 3).toFixed(1)} GiB`],
    ],
    end,
    nodes: lanes,
    health: [
      { t: 0, status: i.health },
      { t: end, status: i.health },
    ],
    bytes,
    blocked: next.blockedBy ? [{ predicate: next.blockedBy, from: 0, to: 0 }] : [],
  };
}

function laneOf(
  n: NodeProgress,
  first: (node: string, actions: Set<string>) => { at: number; until: number } | undefined,
  end: number,
  joinSeconds: number,
): NodeLane {
  const label = `${n.instanceId} (${n.role}${n.outdated ? ', old' : ''})`;
  const phases: { phase: Phase; from: number; to: number }[] = [];
  if (n.version === '-') {
    phases.push(
      { phase: 'surge', from: 0, to: Math.min(joinSeconds, end) },
      { phase: 'serving', from: joinSeconds, to: end },
    );
    return { label, phases };
  }
  const drain = n.excluded || n.votingExcluded ? { at: 0 } : first(n.instanceId, DRAIN_START);
  const term = first(n.instanceId, TERMINATE);
  const leave = drain?.at ?? term?.at ?? end;
  if (leave > 0) phases.push({ phase: 'serving', from: 0, to: leave });
  if (drain) phases.push({ phase: 'drain', from: drain.at, to: term?.at ?? end });
  if (term) phases.push({ phase: 'terminate', from: term.at, to: term.until });
  return { label, phases };
}
