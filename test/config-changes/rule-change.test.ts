import { runDiff } from '../../lib/diff';
import { ConfigWorkspace } from './synth';

const ws = new ConfigWorkspace();
afterAll(() => ws.cleanup());

/**
 * A rule-only change on the real app (issue 14): the rule bundle's S3 key changes inside the alerter's s3:GetObject
 * grant, which is not a security change, and the diff says what changed in the rule.
 */
test('a changed rule threshold: no security change (--fail-on security exits 0), the field shown, no node replaced', () => {
  const base = ws.synth('staging', ws.configDir());
  const head = ws.synth(
    'staging',
    ws.configDir({ 'staging.yaml': (t) => t.replace('SPIKE_THRESHOLD_CUR: 25', 'SPIKE_THRESHOLD_CUR: 30') }),
  );
  const result = runDiff({ base, head, failOn: ['security'] });
  expect(result.report.has.security).toBe(false);
  expect(result.exitCode).toBe(0);
  const alerter = result.report.stacks.find((s) => s.name === 'staging/alerter')!;
  expect(alerter.status).toBe('changed');
  expect(alerter.ruleFields).toEqual({ 'Error log spike': ['threshold_cur: 25 → 30'] });
  expect(result.output).toContain('rule Error log spike: threshold_cur: 25 → 30');
  expect(result.output).not.toMatch(/Security changes|WIDENS|widens/);
  expect(result.report.stacks.flatMap((s) => s.nodes).filter((n) => n.kind === 'replace')).toEqual([]);
  expect(runDiff({ base, head, failOn: ['replacement'] }).exitCode).toBe(0);
});
