/**
 * The data of a roll report page (lib/report/html.ts renders it): pure builders from a simulator run, no I/O.
 * Times are seconds from the start of the roll.
 */

/** Phases of a node's life during a roll, in the order they happen; each has its colour on the page. */
export const PHASES = ['surge', 'serving', 'drain', 'handoff', 'terminate'] as const;
export type Phase = (typeof PHASES)[number];

export interface NodeLane {
  /** `i-0abc (data)`. */
  readonly label: string;
  readonly phases: readonly { readonly phase: Phase; readonly from: number; readonly to: number }[];
}

export interface RollReportData {
  readonly title: string;
  /** What the page was made from, e.g. `elkctl sim run --scenario x.json --strategy orchestrator`. */
  readonly source: string;
  readonly summary: readonly (readonly [string, string])[];
  readonly end: number;
  readonly nodes: readonly NodeLane[];
  readonly health: readonly { readonly t: number; readonly status: 'green' | 'yellow' | 'red' }[];
  readonly bytes: readonly { readonly t: number; readonly moved: number; readonly left: number }[];
  readonly blocked: readonly { readonly predicate: string; readonly from: number; readonly to: number }[];
}

/** What the builder needs from one instance's life. */
export interface LifeInput {
  readonly id: string;
  readonly role: string;
  readonly initial: boolean;
  readonly launchedAt: number;
  readonly joinedAt?: number;
  readonly terminatedAt?: number;
}

export interface StepInput {
  readonly t: number;
  readonly action: string;
  readonly node?: string;
}

/** Actions that start a node's drain (data: allocation exclusion; master: leaving the voting configuration). */
const DRAIN_ACTIONS = new Set(['exclude', 'voting-exclusion']);

/** Actions that start a node's volume handoff (it stops and its replacement rejoins with its data volume). */
const HANDOFF_ACTIONS = new Set(['handoff-begin', 'handoff-stop']);

/**
 * A node's phases: surge (launch → join), serving, drain (first exclusion → termination) or handoff (handoff begun →
 * termination: the node stops and its data volume goes to its replacement), terminate.
 */
export function nodeLane(life: LifeInput, steps: readonly StepInput[], end: number): NodeLane {
  const mine = steps.filter((s) => s.node === life.id);
  const drainAt = mine.find((s) => DRAIN_ACTIONS.has(s.action))?.t;
  const handoffAt = drainAt === undefined ? mine.find((s) => HANDOFF_ACTIONS.has(s.action))?.t : undefined;
  const terminateAt = mine.find((s) => s.action === 'terminate' || s.action.startsWith('terminate '))?.t;
  const gone = life.terminatedAt ?? end;
  const phases: { phase: Phase; from: number; to: number }[] = [];
  const push = (phase: Phase, from: number | undefined, to: number) => {
    if (from !== undefined && to >= from) phases.push({ phase, from, to });
  };
  const serveFrom = life.initial ? life.launchedAt : life.joinedAt;
  if (!life.initial) push('surge', life.launchedAt, life.joinedAt ?? terminateAt ?? gone);
  const leaving = drainAt ?? handoffAt ?? terminateAt ?? gone;
  push('serving', serveFrom, leaving);
  if (drainAt !== undefined) push('drain', drainAt, terminateAt ?? gone);
  if (handoffAt !== undefined) push('handoff', handoffAt, terminateAt ?? gone);
  if (life.terminatedAt !== undefined) push('terminate', terminateAt ?? life.terminatedAt, life.terminatedAt);
  return { label: `${life.id} (${life.role})`, phases };
}

/** Intervals during which the orchestrator reported a blocking predicate (`wait (name)`), until its next report. */
export function blockedIntervals(
  steps: readonly StepInput[],
  end: number,
): { predicate: string; from: number; to: number }[] {
  const own = steps.filter((s) => !s.action.startsWith('sim:'));
  const out: { predicate: string; from: number; to: number }[] = [];
  own.forEach((s, i) => {
    const m = /\(([a-z0-9-]+)\)$/.exec(s.action);
    if (!m) return;
    const to = own[i + 1]?.t ?? end;
    const prev = out[out.length - 1];
    if (prev && prev.predicate === m[1] && prev.to === s.t) prev.to = to;
    else out.push({ predicate: m[1]!, from: s.t, to });
  });
  return out;
}

/** The per-second lines of a sim run's report, as summary rows. */
export interface SimSummaryInput {
  readonly outcome: string;
  readonly reason: string;
  readonly simulatedSeconds: number;
  readonly documentsLost: number;
  readonly secondsRed: number;
  readonly secondsWithoutMaster: number;
  readonly secondsUnderReplicated: number;
  readonly bytesRecovered: number;
  readonly nodesReplaced: { readonly master: number; readonly data: number };
  /** Data volumes left detached with no instance to take them (volume handoff); shown when reported. */
  readonly volumesOrphaned?: number;
  /** Instances the orchestrator launched into chosen zones and never attached; shown when reported. */
  readonly unattachedLeft?: number;
}

export function simSummary(r: SimSummaryInput): [string, string][] {
  const h = (s: number) => `${(s / 3600).toFixed(2)} h`;
  return [
    ['outcome', r.reason.startsWith(r.outcome) ? r.reason : `${r.outcome}: ${r.reason}`],
    ['duration', h(r.simulatedSeconds)],
    ['documents lost', String(r.documentsLost)],
    ['red', h(r.secondsRed)],
    ['without master', `${Math.round(r.secondsWithoutMaster)} s`],
    ['under-replicated', h(r.secondsUnderReplicated)],
    ['bytes moved', `${(r.bytesRecovered / 1024 ** 3).toFixed(1)} GiB`],
    ['nodes replaced', `${r.nodesReplaced.master} master, ${r.nodesReplaced.data} data`],
    ...(r.volumesOrphaned !== undefined ? [['volumes orphaned', String(r.volumesOrphaned)] as [string, string]] : []),
    ...(r.unattachedLeft !== undefined ? [['unattached left', String(r.unattachedLeft)] as [string, string]] : []),
  ];
}
