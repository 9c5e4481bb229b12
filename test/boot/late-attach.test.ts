import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readStage, rehearseStage, renderReport } from '../../lib/boot';
import { patchStagedScript, synthOnce } from './helpers';

/**
 * The late-attach scenario (lib/boot/late-attach.ts): a data instance launched outside its Auto Scaling group (the
 * orchestrator's surge placement) waits at `membership` until it is attached, then boots; one never attached fails
 * there, bounded, having claimed nothing; one launched by its group passes at once.
 */
let cdkOut: string;
beforeAll(() => {
  cdkOut = synthOnce(['dev']);
}, 300_000);
afterAll(() => fs.rmSync(cdkOut, { recursive: true, force: true }));

const rehearseLateAttach = (dir: string) =>
  rehearseStage(readStage(dir, 'dev'), { environment: 'dev', scenarios: ['late-attach'], roles: ['data'] });

test('attached late: the boot waits for its group tag, then completes; never attached: fails at membership', async () => {
  const r = await rehearseLateAttach(cdkOut);
  expect(r.findings).toEqual([]);
  expect(r.ok).toBe(true);
  const nodes = r.scenarios[0]!.nodes;
  expect(nodes.map((n) => [n.ok, n.failedStep, n.expectedFailStep])).toEqual([
    [true, undefined, undefined],
    [true, undefined, undefined],
    [false, 'membership', 'membership'],
  ]);
  expect(nodes[2]!.lastLine).toMatch(/FAILED at step membership/);
  // the expected failure is reported as such, not as a failed rehearsal
  expect(renderReport(r)).toMatch(/fail data +i-\w+ +step membership \(expected: step membership\)/);
}, 300_000);

describe('a deliberately broken copy fails the scenario', () => {
  let broken: string;
  beforeEach(() => {
    broken = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-boot-broken-'));
    fs.cpSync(cdkOut, broken, { recursive: true });
  });
  afterEach(() => fs.rmSync(broken, { recursive: true, force: true }));

  test('without the membership wait, the late instance is refused its certificate and the unattached one claims a volume', async () => {
    patchStagedScript(broken, 'dev', 'es-node-boot.sh', (t) =>
      t.replace(/^elk_step membership\nelk_wait_membership\n/m, ''),
    );
    const r = await rehearseLateAttach(broken);
    expect(r.ok).toBe(false);
    const boots = r.findings.filter((f) => f.check === 'boot');
    expect(boots.map((f) => f.step)).toEqual(['certificates']);
    expect(boots[0]!.message).toMatch(/the issuer refused \(HTTP 403\): instance i-\w+ is not in a group/);
    const membership = r.findings.filter((f) => f.check === 'membership').map((f) => f.message);
    expect(membership).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^failed at step certificates, not membership$/),
        expect.stringMatching(/^claimed before it was a member: aws ec2 create-volume/),
      ]),
    );
  }, 300_000);

  test('a wait that gives up at the first look: the late instance fails at membership', async () => {
    patchStagedScript(broken, 'dev', 'elk-boot-lib.sh', (t) =>
      t.replace('if [ "$waited" -ge "$bound" ]; then', 'if :; then'),
    );
    const r = await rehearseLateAttach(broken);
    const boots = r.findings.filter((f) => f.check === 'boot');
    expect(boots.map((f) => f.step)).toEqual(['membership']);
    expect(r.findings.filter((f) => f.check === 'membership').map((f) => f.message)).toEqual([
      expect.stringMatching(/^looked 1 times, not 181$/),
    ]);
  }, 300_000);
});
