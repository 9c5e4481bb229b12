import { runDiff } from '../../lib/diff';
import { ConfigWorkspace } from './synth';

const ws = new ConfigWorkspace();
afterAll(() => ws.cleanup());

/** dev with three data nodes, so a lower count is still a valid config. */
const threeDataNodes = (t: string) => t.replace(/dataNodes:\n {4}count: 2/, 'dataNodes:\n    count: 3');
let base: string;
beforeAll(() => {
  base = ws.synth('dev', ws.configDir({ 'dev.yaml': threeDataNodes }));
});

describe('elkctl diff on config changes that terminate Elasticsearch nodes without a drain', () => {
  test('a vpc.cidr change exits non-zero with --fail-on replacement and names the data at risk', () => {
    const head = ws.synth(
      'dev',
      ws.configDir({ 'dev.yaml': (t) => `${threeDataNodes(t)}\nvpc:\n  cidr: 10.50.0.0/16\n` }),
    );
    const result = runDiff({ base, head, failOn: ['replacement'] });
    expect(result.exitCode).toBe(1);
    const reasons = result.report.risks.map((r) => `${r.path}: ${r.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^Master\/Group\/ASG: instances replaced without a drain: the subnets of VPCZoneIdentifier are replaced/,
        ),
        expect.stringMatching(
          /^Data\/Group\/ASG: instances replaced without a drain: the subnets of VPCZoneIdentifier are replaced/,
        ),
        expect.stringMatching(/^Data\/Group\/ASG: cluster split: the data nodes' security group is replaced/),
      ]),
    );
    expect(reasons.filter((r) => r.includes('instances replaced without a drain'))).toEqual([
      expect.stringContaining('(caused by vpc.cidr)'),
      expect.stringContaining('(caused by vpc.cidr)'),
    ]);
    expect(result.output).toMatch(/DATA AT RISK/);
    expect(result.output).toContain('instances replaced without a drain');
  });

  test('lowering dataNodes.count of protected groups is a planned scale-in through the drain, not data at risk', () => {
    const head = ws.synth('dev', ws.configDir());
    const result = runDiff({ base, head, failOn: ['replacement'] });
    expect(result.report.risks.map((r) => `${r.path}: ${r.reason}`)).toEqual([]);
    expect(result.output).toMatch(
      /data nodes: planned scale-in 3 → 2: the rolling replacement drains and removes 1 node one at a time/,
    );
  });

  test('names the config key that causes each node replacement, and a change for one role rolls no other', () => {
    const head = ws.synth(
      'dev',
      ws.configDir({
        'dev.yaml': (t) =>
          threeDataNodes(t)
            .replace(
              /dataNodes:\n {4}count: 3\n {4}instanceType: t3.medium/,
              'dataNodes:\n    count: 3\n    instanceType: t3.large',
            )
            .replace(/masterNodes:\n/, 'masterNodes:\n    count: 5\n'),
      }),
    );
    const { report } = runDiff({ base, head });
    const rolls = report.stacks.flatMap((s) => s.nodes).filter((n) => n.kind === 'replace');
    expect(rolls.map((r) => [r.role, r.reason]).sort()).toEqual([
      ['data', 'caused by elasticsearch.dataNodes.instanceType'],
      ['master', 'caused by elasticsearch.masterNodes.count'],
    ]);
  });
});
