import type { Report } from '../../sim/runner';
import type { InstanceLife, TimelineSample } from '../../sim/timeline';
import { blockedIntervals, nodeLane, simSummary, type RollReportData } from './model';

/** The report page's data for one simulator run: its report, the recorded samples and the instances' lives. */
export function simReportData(
  r: Report,
  samples: readonly TimelineSample[],
  lives: readonly InstanceLife[],
  source: string,
): RollReportData {
  const end = r.simulatedSeconds;
  return {
    title: `Roll of ${r.scenario} with ${r.strategy}: ${r.outcome}`,
    source,
    summary: simSummary(r),
    end,
    nodes: lives.map((l) => nodeLane(l, r.steps, end)),
    health: samples.map((s) => ({ t: s.t, status: s.status })),
    bytes: samples.map((s) => ({ t: s.t, moved: s.bytesMoved, left: s.bytesLeft })),
    blocked: blockedIntervals(r.steps, end),
  };
}
