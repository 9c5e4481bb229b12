import * as path from 'path';
import { openTarget } from '../../lib/rolling-replacement/rollctl';
import { rollStatusReportHtml } from '../../lib/report/roll-status';
import type { RollReportData } from '../../lib/report/model';
import { PROJECT_ROOT } from '../helpers/app';

describe('elkctl roll status --report (a live roll: now and the plan forecast)', () => {
  it('shows the node being drained now, the ones after it, their replacements, and bytes left falling to 0', async () => {
    const t = await openTarget({ env: 'dev', sim: path.join(PROJECT_ROOT, 'sim/scenarios/ami-only.json'), at: 2000 });
    let data: RollReportData;
    try {
      const r = await rollStatusReportHtml(t, 'dev');
      if (!('html' in r)) throw new Error(r.unknown);
      data = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(r.html)![1]!);
    } finally {
      await t.close();
    }
    const phases = (label: RegExp) => data.nodes.find((n) => label.test(n.label))!.phases.map((p) => p.phase);
    const draining = data.nodes.filter((n) => n.phases[0]?.phase === 'drain' && n.phases[0].from === 0);
    expect(draining).toHaveLength(1); // the one excluded now
    expect(data.summary).toContainEqual(['blocked by', 'strictly-drained']);
    expect(data.blocked).toEqual([{ predicate: 'strictly-drained', from: 0, to: 0 }]);
    // every old data node is drained then terminated in the forecast; replacements surge then serve
    for (const n of data.nodes.filter((x) => /\(data, old\)/.test(x.label))) {
      expect([n.label, n.phases.map((p) => p.phase).slice(-2)]).toEqual([n.label, ['drain', 'terminate']]);
    }
    expect(phases(/^replacement 1 /)).toEqual(['surge', 'serving']);
    const left = data.bytes.map((b) => b.left);
    expect(left[0]).toBeGreaterThan(0);
    expect(left[left.length - 1]).toBe(0);
    expect([...left].sort((a, b) => b - a)).toEqual(left);
  });
});
