import { checkUpgradePath } from '../../lambda/rolling-replacement/core/versions';

describe('upgrade path rules', () => {
  test.each([
    [['8.18.2'], '8.19.3'],
    [['8.19.3'], '8.19.3'],
    [['8.19.0'], '9.1.0'],
    [['8.18.2'], '9.0.4'],
    [['7.17.20'], '8.15.0'],
    [['8.18.2', '8.19.3'], '8.19.3'],
  ])('allows %j → %s', (current, target) => {
    expect(checkUpgradePath(current, target)).toEqual({ ok: true });
  });

  test.each([
    [['8.19.3'], '8.18.2', /downgrade/],
    [['8.18.2', '8.19.3'], '8.18.2', /downgrade/],
    [['8.10.4'], '9.0.0', /must start from 8\.19\.x/],
    [['8.18.2'], '9.1.0', /must start from 8\.19\.x/],
    [['7.16.3'], '8.0.0', /must start from 7\.17\.x/],
    [['7.17.9'], '9.0.0', /skip a major/],
    // The 8.18 → 9.0 exception belongs to 8.x alone: an X.18 of another major is no last minor.
    [['9.18.0'], '10.0.0', /must start from the last 9\.x minor/],
    [['8.17.9'], '9.0.0', /must start from 8\.19\.x/],
    [['8.19.3'], 'latest', /not a release version/],
  ])('refuses %j → %s', (current, target, message) => {
    const r = checkUpgradePath(current, target);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(message);
  });
});
