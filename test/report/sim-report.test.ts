import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { simRun } from '../../sim/cli';
import { PROJECT_ROOT } from '../helpers/app';

describe('elkctl sim run --report', () => {
  it('writes one page with every node of the run, health and bytes over time, and the summary', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-sim-report-'));
    const file = path.join(dir, 'roll.html');
    const out: string[] = [];
    try {
      const code = await simRun(
        { scenario: path.join(PROJECT_ROOT, 'sim/scenarios/ami-only.json'), report: file },
        (s) => out.push(s),
        (s) => out.push(s),
      );
      expect(code).toBe(0);
      const html = fs.readFileSync(file, 'utf8');
      const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
      const data = JSON.parse(json) as {
        nodes: { label: string; phases: { phase: string }[] }[];
        health: unknown[];
        bytes: { moved: number; left: number }[];
        summary: [string, string][];
      };
      // every instance of the run: the originals and their replacements, each drained one terminated
      const terminated = data.nodes.filter((n) => n.phases.some((p) => p.phase === 'terminate'));
      const surged = data.nodes.filter((n) => n.phases.some((p) => p.phase === 'surge'));
      expect(terminated.length).toBeGreaterThan(0);
      expect(surged).toHaveLength(terminated.length);
      expect(
        data.nodes.filter((n) => /\(data\)/.test(n.label) && n.phases.some((p) => p.phase === 'drain')),
      ).not.toHaveLength(0);
      expect(data.health.length).toBeGreaterThan(10);
      expect(data.bytes[0]!.left).toBeGreaterThan(0);
      expect(data.bytes[data.bytes.length - 1]!.left).toBe(0);
      expect(data.summary).toContainEqual(['documents lost', '0']);
      // What a roll may leave behind, both expected 0 (volume handoff, surges into chosen zones).
      expect(data.summary).toContainEqual(['volumes orphaned', '0']);
      expect(data.summary).toContainEqual(['unattached left', '0']);
      expect(out.join('')).toContain(`report: ${file}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
