import * as path from 'path';
import { awsTarget, rollPlan, simTarget } from '../../lib/rolling-replacement/rollctl';
import { attemptStartSeconds, planDeployWaitLines } from '../../lib/rolling-replacement/plan-deploy-wait';
import { loadEnvironment } from '../../lib/config';
import { observe } from '../../lambda/rolling-replacement/reconcile';
import { TAG } from '../../lambda/rolling-replacement/core/tags';

const SCENARIO = path.join(__dirname, 'fixtures', 'small-upgrade.json');
const h = (n: number) => n * 3600;
const fmt = (s: number) => `${s}s`;

describe('roll plan against the deploy wait (issue 12, finding 12)', () => {
  test('a plan longer than the deploy waits ends with the same warning as elkctl diff', async () => {
    const t = await simTarget(SCENARIO, 0);
    try {
      const fits = await rollPlan({ ...t, deployWaitSeconds: h(12) });
      expect(fits).not.toContain('LONGER THAN THE DEPLOY WAITS');
      const tooLong = await rollPlan({ ...t, deployWaitSeconds: 60 });
      const lines = tooLong.trim().split('\n');
      expect(lines.at(-2)).toMatch(/estimated total: /);
      expect(lines.at(-1)).toMatch(
        /^LONGER THAN THE DEPLOY WAITS: the estimate \(.+\) exceeds rollout.timeoutHours \(1 min\)/,
      );
      expect(lines.at(-1)).toContain('rollout.waitForCompletion: false');
      // A deploy that does not wait: nothing to compare.
      expect(await rollPlan({ ...t, deployWaitSeconds: undefined })).not.toContain('LONGER');
    } finally {
      await t.close();
    }
  });

  test("a roll in progress: the time since the lock's attempt began is added to what is left", async () => {
    const t = await simTarget(SCENARIO, 400);
    try {
      const base = await rollPlan({ ...t, deployWaitSeconds: h(12) });
      expect(base).not.toContain('LONGER');
      // The same plan, its attempt begun 11 h 59 min ago (the workflow's start, "a<seconds>"): no longer fits.
      const begun = {
        ...t,
        deployWaitSeconds: h(12),
        now: () => t.now() + h(12) - 60,
        observe: async () => {
          const o = await observe(t.es, t.fleet, t.spec, t.now());
          if (!Array.isArray(o.fleet)) throw new Error('fleet unknown');
          const fleet = o.fleet.map((g) =>
            g.name === t.spec.groups.data && g.tags[TAG.rollout] !== undefined
              ? { ...g, tags: { ...g.tags, [TAG.attempt]: `a${t.now()}` } }
              : g,
          );
          return { ...o, fleet };
        },
      };
      const out = await rollPlan(begun);
      expect(out).toMatch(/this attempt began 11 h 59 min ago/);
      expect(out).toContain('LONGER THAN THE DEPLOY WAITS');
    } finally {
      await t.close();
    }
  });

  test('for a roll in progress, the time since the attempt began counts', () => {
    // 2 h left, the deploy waits 4 h: fits for a roll not yet begun, not for one that began 3 h ago.
    expect(planDeployWaitLines(h(2), h(4), undefined, h(10), fmt)).toEqual([]);
    const lines = planDeployWaitLines(h(2), h(4), h(7), h(10), fmt);
    expect(lines[0]).toBe(`this attempt began ${h(3)}s ago: with ${h(2)}s left, about ${h(5)}s in all`);
    expect(lines[1]).toContain(`the estimate (${h(5)}s) exceeds rollout.timeoutHours (${h(4)}s)`);
    expect(planDeployWaitLines(h(5), h(4), undefined, h(10), fmt)).toHaveLength(1);
    expect(planDeployWaitLines(h(4), h(4), undefined, h(10), fmt)).toEqual([]);
    expect(planDeployWaitLines(h(9), undefined, h(7), h(10), fmt)).toEqual([]);
  });

  test("the attempt's start is read from the lock's attempt tag only when it is a workflow start", () => {
    expect(attemptStartSeconds('a1700000000')).toBe(1700000000);
    expect(attemptStartSeconds(undefined)).toBeUndefined();
    expect(attemptStartSeconds('elkctl')).toBeUndefined();
    expect(attemptStartSeconds('a12x')).toBeUndefined();
  });

  test("against AWS, the wait is the environment's rollout.timeoutHours, none without waitForCompletion", async () => {
    // ci and dev name no region: the SDK's is used.
    const region = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-1';
    try {
      for (const env of ['ci', 'dev']) {
        const rollout = loadEnvironment(env).rollout;
        const t = await awsTarget({ env, dataGroup: 'd', masterGroup: 'm', elasticsearch: false });
        try {
          expect(t.deployWaitSeconds).toBe(rollout.waitForCompletion ? rollout.timeoutHours * 3600 : undefined);
        } finally {
          await t.close();
        }
      }
    } finally {
      if (region === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = region;
    }
    expect(loadEnvironment('ci').rollout.waitForCompletion).toBe(true);
    expect(loadEnvironment('dev').rollout.waitForCompletion).toBe(false);
  });
});
