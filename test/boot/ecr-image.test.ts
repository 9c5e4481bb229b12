import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readStage, rehearseStage, synthesize } from '../../lib/boot';
import { DEFAULT_CONFIG_DIR } from '../../lib/config';
import { patchStagedFileAsset } from './helpers';

// Issue #13: the ElastAlert image mirrored into the environment's own ECR repository, pinned by digest. The alerter
// that boots with the deployed rules logs docker in to the registry (the token from `aws ecr get-login-password`
// through a pipe, never on a command line), pulls, and logs out; the docker stub refuses a pull from ECR without
// that login, and the rehearsal's alerter checks look for the token on command lines and for a login left behind.

const DIGEST = `sha256:${'5e1f'.repeat(16)}`;
const REGISTRY = '111111111111.dkr.ecr.eu-west-1.amazonaws.com'; // staging's account and region
const IMAGE = `${REGISTRY}/mirror/elastalert2:2.31.0@${DIGEST}`;

let root: string;
let cdkOut: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-ecr-'));
  fs.chmodSync(root, 0o755); // run as root, the nodes run as nobody and must reach their sandboxes
  const configDir = path.join(root, 'config');
  fs.cpSync(DEFAULT_CONFIG_DIR, configDir, { recursive: true });
  const file = path.join(configDir, 'staging.yaml');
  const text = fs.readFileSync(file, 'utf8');
  if (!/^alerter:\n/m.test(text)) throw new Error('staging.yaml has no alerter section');
  fs.writeFileSync(file, text.replace(/^alerter:\n/m, `alerter:\n  image: ${IMAGE}\n  requireImageDigest: true\n`));
  cdkOut = synthesize(['staging'], { outdir: path.join(root, 'out'), configDir });
}, 300_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

async function rehearseAlerter(nodeEnv?: Record<string, string>, patch?: (deployScript: string) => string) {
  const workDir = fs.mkdtempSync(path.join(root, 'work-'));
  fs.chmodSync(workDir, 0o755);
  fs.mkdirSync(path.join(workDir, 'run'));
  let out = cdkOut;
  if (patch) {
    out = path.join(workDir, 'cdk.out');
    fs.cpSync(cdkOut, out, { recursive: true });
    patchStagedFileAsset(out, 'staging', 'Alerter/DeployScript', patch);
  }
  const report = await rehearseStage(readStage(out, 'staging'), {
    environment: 'staging',
    scenarios: ['fleet'],
    roles: ['alerter'],
    workDir: path.join(workDir, 'run'),
    keep: true,
    nodeEnv,
  });
  const nodes = path.join(workDir, 'run', 'fleet', 'nodes');
  // the alerters that deployed the rules (the first one boots before any deployment is recorded)
  const pulled = fs
    .readdirSync(nodes)
    .map((id) => path.join(nodes, id))
    .filter((n) => lines(path.join(n, '.rehearsal/docker/pulled')).length > 0);
  return { report, pulled };
}

describe('an ElastAlert image in the environment ECR repository (staging)', () => {
  test('every alerter that deploys logs in through a pipe, pulls the pinned image, logs out; no finding', async () => {
    const { report, pulled } = await rehearseAlerter();
    expect(report.findings).toEqual([]);
    expect(pulled.length).toBeGreaterThanOrEqual(2);
    for (const node of pulled) {
      const calls = lines(path.join(node, '.rehearsal/calls.log'));
      const tokens = lines(path.join(node, '.rehearsal/ecr-tokens'));
      expect(tokens).toHaveLength(1);
      expect(calls).toContain('aws --region eu-west-1 ecr get-login-password');
      expect(calls).toContain(`docker login --username AWS --password-stdin ${REGISTRY}`);
      expect(calls.filter((c) => c.startsWith('docker pull'))).toEqual([`docker pull --quiet ${IMAGE}`]);
      expect(calls).toContain(`docker logout ${REGISTRY}`);
      // login before pull before logout; the token on no command line
      const at = (prefix: string) => calls.findIndex((c) => c.startsWith(prefix));
      expect(at('docker login')).toBeLessThan(at('docker pull'));
      expect(at('docker pull')).toBeLessThan(at('docker logout'));
      expect(calls.some((c) => c.includes(tokens[0]!))).toBe(false);
      expect(lines(path.join(node, '.rehearsal/docker/logins'))).toEqual([`${REGISTRY} AWS`]);
      expect(fs.readFileSync(path.join(node, '.rehearsal/docker/elastalert.args'), 'utf8')).toContain(`\n${IMAGE}\n`);
    }
  }, 120_000);

  test('without the login (ecr get-login-password refused) no image is pulled and the deploy fails at its step', async () => {
    const { report, pulled } = await rehearseAlerter({
      ELK_REHEARSAL_FAIL: 'aws --region eu-west-1 ecr get-login-password',
      ELK_BOOT_MAX_ATTEMPTS: '1',
    });
    const boots = report.findings.filter((f) => f.check === 'boot');
    expect(boots.length).toBeGreaterThanOrEqual(1);
    for (const f of boots) {
      expect(f.step).toBe('rules');
      expect(f.message).toMatch(/BOOT FAILED: the rules are not verified/);
    }
    expect(pulled).toEqual([]);
  }, 120_000);

  // Negative controls: the rehearsal catches a deploy script that puts the token on a command line, or that leaves
  // docker logged in.
  test.each([
    [
      'passes the token as an argument',
      (t: string) =>
        t.replace(
          /aws --region "\$\{BASH_REMATCH\[1\]\}" ecr get-login-password \|\n\s*docker login --username AWS --password-stdin "\$registry"/,
          'docker login --username AWS --password "$(aws --region "${BASH_REMATCH[1]}" ecr get-login-password)" "$registry"',
        ),
      { check: 'boot', step: 'rules' },
    ],
    [
      'never logs out',
      (t: string) => t.replace(/\n\s*docker logout "\$registry" [^\n]*/, ''),
      { check: 'alerter', step: 'deploy', message: `docker is still logged in to ${REGISTRY} after the deploy` },
    ],
  ])(
    'a deploy script that %s fails the rehearsal',
    async (_what, patch, finding) => {
      const { report } = await rehearseAlerter({ ELK_BOOT_MAX_ATTEMPTS: '1' }, patch);
      expect(report.findings.length).toBeGreaterThanOrEqual(1);
      for (const f of report.findings) expect(f).toMatchObject(finding);
    },
    120_000,
  );
});
