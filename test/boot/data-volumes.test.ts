import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readStage, rehearseStage } from '../../lib/boot';
import { patchStagedScript, synthOnce } from './helpers';

/**
 * The data-handoff scenario (lib/boot/data-handoff.ts): data volumes that outlive their instances, attached by the
 * real boot scripts against the fake EC2 of stubs/_ec2-volumes.sh; a handoff and a race for one free volume.
 */
let cdkOut: string;
beforeAll(() => {
  cdkOut = synthOnce(['dev']);
}, 300_000);
afterAll(() => fs.rmSync(cdkOut, { recursive: true, force: true }));

const rehearseHandoff = (dir: string) =>
  rehearseStage(readStage(dir, 'dev'), { environment: 'dev', scenarios: ['data-handoff'], roles: ['data'] });

test('a replacement attaches the handed-off volume with its node id; of two racing nodes one attaches it, one creates', async () => {
  const r = await rehearseHandoff(cdkOut);
  expect(r.findings).toEqual([]);
  const nodes = r.scenarios[0]!.nodes;
  // the first data nodes, the replacement of the first, the two racers
  expect(nodes.length).toBeGreaterThanOrEqual(5);
  expect(nodes.every((n) => n.ok)).toBe(true);
}, 300_000);

describe('a deliberately broken copy fails the scenario', () => {
  let broken: string;
  beforeEach(() => {
    broken = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-boot-broken-'));
    fs.cpSync(cdkOut, broken, { recursive: true });
  });
  afterEach(() => fs.rmSync(broken, { recursive: true, force: true }));

  test('an attach that takes a lost race for an error: the loser fails at attach-volume', async () => {
    patchStagedScript(broken, 'dev', 'es-data-volume-attach.sh', (t) =>
      t.replace('*VolumeInUse* | *IncorrectState* | *InvalidVolume.NotFound*)', '*NoSuchError*)'),
    );
    const r = await rehearseHandoff(broken);
    const boots = r.findings.filter((f) => f.check === 'boot');
    expect(boots.map((f) => f.step)).toEqual(['attach-volume']);
    expect(boots[0]!.message).toMatch(/VolumeInUse/);
  }, 300_000);
});
