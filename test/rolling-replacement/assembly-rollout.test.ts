import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack, Stage, Tags } from 'aws-cdk-lib';
import { rolloutIdFromAssembly } from '../../lib/rolling-replacement/assembly-rollout';

/** A cloud assembly shaped like this app's: stages with a `cluster` stack holding the rolling replacement. */
function assembly(stacks: Record<string, Array<Record<string, unknown>>>): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-assembly-rollout-'));
  const app = new App({ outdir });
  for (const [env, resources] of Object.entries(stacks)) {
    const stack = new Stack(new Stage(app, env), 'cluster');
    Tags.of(stack).add('elk-cdk:environment', env);
    resources.forEach(
      (properties, i) => new CfnResource(stack, `Rollout${i}`, { type: 'Custom::RollingReplacement', properties }),
    );
  }
  app.synth();
  return outdir;
}

describe('rolloutIdFromAssembly (elkctl roll wait --cdk-out)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const make = (stacks: Parameters<typeof assembly>[0]) => {
    const d = assembly(stacks);
    dirs.push(d);
    return d;
  };

  test("reads the RolloutId of the environment's cluster stack, not another environment's", () => {
    const dir = make({ staging: [{ RolloutId: 'r-0a1b2c3d4e' }], production: [{ RolloutId: 'r-ffffffffff' }] });
    expect(rolloutIdFromAssembly(dir, 'staging')).toBe('r-0a1b2c3d4e');
    expect(rolloutIdFromAssembly(dir, 'production')).toBe('r-ffffffffff');
  });

  test('an environment the assembly does not hold, or a cluster stack without one rolling replacement, is bad input', () => {
    const dir = make({ staging: [{ RolloutId: 'r-0a1b2c3d4e' }] });
    expect(() => rolloutIdFromAssembly(dir, 'production')).toThrow(
      /no stack production\/cluster \(cluster stacks in it: staging\/cluster\); synthesize the environment/,
    );
    const two = make({ staging: [{ RolloutId: 'r-1' }, { RolloutId: 'r-2' }] });
    expect(() => rolloutIdFromAssembly(two, 'staging')).toThrow(
      /one Custom::RollingReplacement .* found \["r-1","r-2"\]/,
    );
    const none = make({ staging: [{ Other: 'x' }] });
    expect(() => rolloutIdFromAssembly(none, 'staging')).toThrow(/found \[null\]/);
    expect(() => rolloutIdFromAssembly(path.join(dir, 'nope'), 'staging')).toThrow(/no such folder; synthesize first/);
  });
});
