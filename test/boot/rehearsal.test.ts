import * as fs from 'fs';
import { readStage, rehearseStage, RehearsalReport, ScenarioName } from '../../lib/boot';
import { ENVIRONMENTS, synthOnce } from './helpers';

// One in-process synth of every environment for the whole file (the slow part), then one rehearsal per fleet.
let cdkOut: string;
const reports = new Map<string, RehearsalReport>();

beforeAll(() => {
  cdkOut = synthOnce(ENVIRONMENTS);
}, 300_000);
afterAll(() => fs.rmSync(cdkOut, { recursive: true, force: true }));

async function report(env: string): Promise<RehearsalReport> {
  // The slow-master scenario rehearses the master group alone: once (dev) is enough, the fleet runs everywhere.
  const scenarios: ScenarioName[] = env === 'dev' ? ['fleet', 'slow-master'] : ['fleet'];
  if (!reports.has(env)) reports.set(env, await rehearseStage(readStage(cdkOut, env), { environment: env, scenarios }));
  return reports.get(env)!;
}

describe.each(ENVIRONMENTS)('boot rehearsal of %s', (env) => {
  test('every node of the fleet boots to its "is up" line and every check passes', async () => {
    const r = await report(env);
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);
  }, 120_000);

  test('boots three masters, the data nodes, Kibana and the alerter of the first deployment, then two replacements', async () => {
    const fleet = (await report(env)).scenarios.find((s) => s.name === 'fleet')!;
    const roles = fleet.nodes.map((n) => n.role);
    expect(roles.filter((x) => x === 'master')).toHaveLength(4); // 3 + the replacement
    expect(roles.filter((x) => x === 'data').length).toBeGreaterThanOrEqual(2);
    expect(roles).toContain('kibana');
    expect(roles.filter((x) => x === 'alerter')).toHaveLength(2);
  }, 120_000);
});
