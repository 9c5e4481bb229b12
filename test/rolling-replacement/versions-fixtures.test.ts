/**
 * Edges of the upgrade-path rules the main table does not reach: version text parsing, patch and minor downgrades,
 * majors without a known last minor, and a node reporting an unreadable version.
 */
import {
  checkUpgradePath,
  compareVersions,
  formatVersion,
  parseVersion,
} from '../../lambda/rolling-replacement/core/versions';

describe('version text', () => {
  test.each([
    ['8.19.3', { major: 8, minor: 19, patch: 3 }],
    [' 8.19.3 ', { major: 8, minor: 19, patch: 3 }],
    ['10.20.30', { major: 10, minor: 20, patch: 30 }],
    ['8.19.3-SNAPSHOT', { major: 8, minor: 19, patch: 3 }],
  ])('reads %j', (text, v) => {
    expect(parseVersion(text)).toEqual(v);
  });

  test.each(['v8.19.3', '8.19', 'eight', 'x8.19.3', ''])('does not read %j', (text) => {
    expect(parseVersion(text)).toBeUndefined();
  });

  test('formats as major.minor.patch', () => {
    expect(formatVersion({ major: 9, minor: 0, patch: 12 })).toBe('9.0.12');
  });

  test('compares major, then minor, then patch', () => {
    const v = (t: string) => parseVersion(t)!;
    expect(Math.sign(compareVersions(v('9.0.0'), v('8.19.9')))).toBe(1);
    expect(Math.sign(compareVersions(v('8.19.0'), v('8.18.9')))).toBe(1);
    expect(Math.sign(compareVersions(v('8.19.3'), v('8.19.2')))).toBe(1);
    expect(Math.sign(compareVersions(v('8.19.2'), v('8.19.3')))).toBe(-1);
    expect(compareVersions(v('8.19.3'), v('8.19.3'))).toBe(0);
  });
});

describe('upgrade path edges', () => {
  test.each([
    [['8.19.3'], '8.19.2', /refusing a downgrade: a node runs 8\.19\.3 and the target is 8\.19\.2/],
    [['8.19.0'], '8.18.9', /downgrade/],
    [['8.17.1'], '9.0.0', /must start from 8\.19\.x/],
    [['5.6.16'], '6.0.0', /must start from the last 5\.x minor; upgrade to the last 5\.x minor first/],
    [['8.19.3', 'eight'], '8.19.3', /a node reports version "eight", which is not a release version/],
    [['7.17.9'], '9.0.0', /refusing to skip a major version: 7\.17\.9 → 9\.0\.0; upgrade to 8\.x first/],
  ])('refuses %j → %s', (current, target, message) => {
    const r = checkUpgradePath(current, target);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(message);
  });

  test.each([
    [['6.8.23'], '7.0.0'],
    [['8.19.0'], '9.5.2'],
    [['8.20.1'], '9.1.0'],
    [['7.17.20', '8.0.0'], '8.0.0'],
  ])('allows %j → %s', (current, target) => {
    expect(checkUpgradePath(current, target)).toEqual({ ok: true });
  });
});
