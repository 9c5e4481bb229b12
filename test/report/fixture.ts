import type { RollReportData } from '../../lib/report/model';

/** A small roll: two old data nodes replaced one after the other, yellow while draining, one gate wait. */
export const ROLL: RollReportData = {
  title: 'Roll of test with orchestrator: completed',
  source: 'elkctl sim run --scenario test.json --strategy orchestrator',
  summary: [
    ['outcome', 'completed: every node replaced'],
    ['documents lost', '0'],
  ],
  end: 7200,
  nodes: [
    {
      label: 'i-1 (data)',
      phases: [
        { phase: 'serving', from: 0, to: 1000 },
        { phase: 'drain', from: 1000, to: 3000 },
        { phase: 'terminate', from: 3000, to: 3060 },
      ],
    },
    {
      label: 'i-2 (data)',
      phases: [
        { phase: 'serving', from: 0, to: 4000 },
        { phase: 'drain', from: 4000, to: 6500 },
        { phase: 'terminate', from: 6500, to: 6560 },
      ],
    },
    {
      label: 'i-3 (data)',
      phases: [
        { phase: 'surge', from: 300, to: 900 },
        { phase: 'serving', from: 900, to: 7200 },
      ],
    },
    {
      label: 'i-4 (data)',
      phases: [
        { phase: 'surge', from: 3100, to: 3700 },
        { phase: 'serving', from: 3700, to: 7200 },
      ],
    },
  ],
  health: [
    { t: 0, status: 'green' },
    { t: 1000, status: 'yellow' },
    { t: 3000, status: 'green' },
    { t: 7200, status: 'green' },
  ],
  bytes: [
    { t: 0, moved: 0, left: 200 * 1024 ** 3 },
    { t: 3000, moved: 100 * 1024 ** 3, left: 100 * 1024 ** 3 },
    { t: 7200, moved: 200 * 1024 ** 3, left: 0 },
  ],
  blocked: [{ predicate: 'replacement-joins-in-time', from: 300, to: 900 }],
};
