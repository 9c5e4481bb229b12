import { colourEnabled, colourize } from '../../lib/cli/colour';

const ESC = '\x1b[';
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex

describe('colour on a terminal', () => {
  it('only on a TTY, never with NO_COLOR set or TERM=dumb', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({}, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true); // no-color.org: set and non-empty
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('leaves the text untouched when off', () => {
    const text = 'outcome  failed: x\n    120 s  wait (strictly-drained)  i-1  reason\n';
    expect(colourize('sim', text, false)).toBe(text);
  });

  it('sim run: the outcome, lost documents, blocking predicates, terminations; the text under the colour is the same', () => {
    const text = [
      'outcome         failed: strategy error',
      'documents lost  12 (1 primaries lost)',
      '      120 s  wait (strictly-drained)     i-1   holds 3 shards',
      '      300 s  terminate                   i-1   holds no data',
      '      310 s  surge                       elk-data   adding one',
      'strategy        orchestrator',
    ].join('\n');
    const out = colourize('sim', text, true).split('\n');
    expect(plain(out.join('\n'))).toBe(text);
    expect(out[0]).toContain(`${ESC}31;1mfailed${ESC}0m`);
    expect(out[1]).toMatch(/^\x1b\[31;1m/); // eslint-disable-line no-control-regex
    expect(out[2]).toContain(`(${ESC}33mstrictly-drained${ESC}0m)`);
    expect(out[3]).toContain(`${ESC}31mterminate${ESC}0m`);
    expect(out[4]).toContain(`${ESC}34msurge${ESC}0m`);
    expect(out[5]).toBe(text.split('\n')[5]);
    expect(colourize('sim', 'outcome  completed: done', true)).toContain(`${ESC}32;1mcompleted`);
  });

  it('roll status: the blocking predicate, and nothing when nothing blocks', () => {
    expect(colourize('roll-status', 'blocked by: no-shard-activity', true)).toBe(
      `blocked by: ${ESC}33;1mno-shard-activity${ESC}0m`,
    );
    expect(colourize('roll-status', 'blocked by: -', true)).toBe('blocked by: -');
  });

  it('diff: data at risk and drainless replacements red, roll replacements yellow, security changes magenta', () => {
    const lines = [
      '!!! DATA AT RISK: stateful resources replaced or deleted !!!',
      '  - cluster: Data/Volume (AWS::EC2::Volume) REPLACED: x; its data is DESTROYED',
      "  - cluster: data nodes' launch template changes: 3 data nodes will be replaced one by one; estimated 2 h",
      '  - cluster: instances replaced without a drain: VPCZoneIdentifier changes',
      'Security changes (IAM and security groups)',
      '  cluster (WIDENS access)',
      '  [+] Monitoring/Topic AWS::SNS::Topic added',
      'Stacks',
    ];
    const out = colourize('diff', lines.join('\n'), true).split('\n');
    const lead = (l: string) => /^\x1b\[[0-9;]*m/.exec(l)?.[0] ?? 'none'; // eslint-disable-line no-control-regex
    expect(out.map(lead)).toEqual([
      `${ESC}31;1m`,
      `${ESC}31m`,
      `${ESC}33m`,
      `${ESC}31m`,
      `${ESC}35;1m`,
      'none',
      `${ESC}32m`,
      'none',
    ]);
    expect(out[5]).toContain(`${ESC}35;1m(WIDENS access)`);
  });
});
