import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { container, lastLine, ruleText, SCRIPTS, STUBS, World, world } from './deploy-world';

describe('deploy-rules.sh (stubbed docker, aws, curl)', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  afterEach(() => fs.rmSync(w.dir, { recursive: true, force: true }));

  test('deploys a verified bundle: symlink switched, container recreated, every rule verified', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A'), 'b.yaml': ruleText('B') });
    const r = w.run(v1.url, v1.hash);
    expect(r.out).toContain(`DEPLOYED bundle ${v1.hash}: 2 rule(s) loaded, 2 running and evaluating`);
    expect(lastLine(r.stdout)).toBe(`STATE: DEPLOYED: bundle ${v1.hash} runs and is verified (release ${r.current})`);
    expect(r.status).toBe(0);
    expect(r.current).toMatch(new RegExp(`/releases/${v1.hash.slice(0, 16)}-`));
    expect(container(w)!.slice(0, 1)).toEqual(['true']);
    expect(container(w)![2]).toBe(r.current);
    expect(container(w)![3]).toBe(v1.hash);
    const secrets = path.join(r.current!, 'secrets.env');
    expect(fs.readFileSync(secrets, 'utf8')).toBe(
      'ELK_SECRET_HOOK=https://hooks.example/T0/B0/secret\nES_HOST=es.test.internal\nES_USERNAME=elastalert\nES_PASSWORD=pw-123\n',
    );
    expect(fs.statSync(secrets).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(r.current!, 'certs', 'ca.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    // the rules themselves never hold the secret
    expect(fs.readFileSync(path.join(r.current!, 'rules', 'a.yaml'), 'utf8')).toContain('"${ELK_SECRET_HOOK}"');
    const curlArgs = fs.readFileSync(path.join(w.state, 'curl-args'), 'utf8');
    expect(curlArgs).toContain('--cacert');
    expect(curlArgs).toContain('https://es.test.internal:9200/elastalert_status/_search');
    const calls = fs.readFileSync(path.join(w.state, 'calls'), 'utf8');
    // one pre-flight container for all the rules
    expect(calls.match(/--entrypoint sh/g)).toHaveLength(1);
    expect(calls).toContain('elastalert-test-rule --schema-only');
  });

  test('a rule that fails elastalert-test-rule changes nothing: the previous release stays active', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const first = w.run(v1.url, v1.hash);
    expect(first.status).toBe(0);
    const v2 = w.publish({ 'a.yaml': ruleText('A'), 'bad.yaml': ruleText('Bad', "alert_text: 'stub: fail-test'\n") });
    const r = w.run(v2.url, v2.hash);
    expect(r.status).toBe(1);
    expect(r.out).toContain('DEPLOY FAILED: rule bad.yaml fails elastalert-test-rule --schema-only');
    expect(r.out).toContain('EAException: Invalid Rule file: bad.yaml');
    expect(r.current).toBe(first.current);
    expect(w.runs()).toEqual([first.current]);
  });

  test('a container that exits at once is rolled back to the previous release', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const first = w.run(v1.url, v1.hash);
    const v2 = w.publish({ 'a.yaml': ruleText('A'), 'crash.yaml': ruleText('Crash') });
    const r = w.run(v2.url, v2.hash);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/DEPLOY FAILED: container exited right after start: Traceback/);
    expect(r.out).toContain(`rolled back to ${first.current} (running)`);
    expect(r.current).toBe(first.current);
    expect(container(w)![0]).toBe('true');
    expect(container(w)![2]).toBe(first.current);
  });

  test('a process that never reports its rules is rolled back to the previous release', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const first = w.run(v1.url, v1.hash);
    const v2 = w.publish({ 'a.yaml': ruleText('A'), 'silent.yaml': ruleText('Silent') });
    const r = w.run(v2.url, v2.hash);
    expect(r.status).toBe(1);
    expect(r.out).toContain('DEPLOY FAILED: the log does not say "2 rules loaded" after 1s');
    expect(r.current).toBe(first.current);
    expect(container(w)![2]).toBe(first.current);
    expect(fs.existsSync(`${path.join(w.root, 'releases')}/${path.basename(w.runs()[1]!)}.failed`)).toBe(true);
  });

  test('a rule without a fresh elastalert_status document is rolled back', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const first = w.run(v1.url, v1.hash);
    const v2 = w.publish({ 'a.yaml': ruleText('A'), 's.yaml': ruleText('Stale rule') });
    const r = w.run(v2.url, v2.hash);
    expect(r.status).toBe(1);
    expect(r.out).toContain('DEPLOY FAILED: no new elastalert_status document within 1s for: "Stale rule"');
    expect(r.current).toBe(first.current);
  });

  test('the first deployment failing leaves no release active and no container', () => {
    const v1 = w.publish({ 'crash.yaml': ruleText('Crash') });
    const r = w.run(v1.url, v1.hash);
    expect(r.status).toBe(1);
    expect(r.out).toContain('no previous release: the alerter is stopped');
    expect(lastLine(r.stdout)).toBe(
      'STATE: ALERTER STOPPED: first deployment failed, no previous release to go back to',
    );
    expect(r.current).toBeNull();
    expect(container(w)).toBeNull();
  });

  test('a bundle whose hash does not match is refused before anything changes', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const r = w.run(v1.url, 'f'.repeat(64));
    expect(r.status).toBe(1);
    expect(r.out).toContain(`DEPLOY FAILED: bundle hash mismatch: expected ${'f'.repeat(64)}, got ${v1.hash}`);
    expect(r.current).toBeNull();
    expect(w.runs()).toEqual([]);
  });

  test('the same bundle again (a retry or a CloudFormation rollback) is verified without downloading', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const first = w.run(v1.url, v1.hash);
    fs.rmSync(path.join(w.s3, 'assets', `${v1.hash}.tar`));
    const again = w.run(v1.url, v1.hash);
    expect(again.out).toContain(`DEPLOYED bundle ${v1.hash} was already active and is verified`);
    expect(again.status).toBe(0);
    expect(again.current).toBe(first.current);
    expect(w.runs()).toHaveLength(1);
  });

  test('a secret value with a double quote is refused', () => {
    fs.writeFileSync(path.join(w.dir, 'ssm', 'elk', 'test', 'alerter', 'HOOK'), 'https://x/"y\n');
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const r = w.run(v1.url, v1.hash);
    expect(r.status).toBe(1);
    expect(r.out).toContain('DEPLOY FAILED: the value of /elk/test/alerter/HOOK contains a line break');
  });
});

describe('boot.sh (a replacement instance deploys the recorded bundle)', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  afterEach(() => fs.rmSync(w.dir, { recursive: true, force: true }));

  const boot = (extraEnv: Record<string, string> = {}) =>
    spawnSync(
      'bash',
      [
        path.join(SCRIPTS, 'boot.sh'),
        '--parameter',
        '/elk/test/alerter/current-bundle',
        '--region',
        'eu-west-1',
        '--ca-parameter',
        '/elk/test/ca',
      ],
      {
        encoding: 'utf8',
        env: {
          ...process.env,
          PATH: `${STUBS}:${process.env.PATH}`,
          STUB_STATE: w.state,
          STUB_S3: w.s3,
          STUB_SSM: path.join(w.dir, 'ssm'),
          ELK_ALERTER_ROOT: w.root,
          ELK_POLL_SECONDS: '0.05',
          ELK_WAIT_START_SECONDS: '2',
          ELK_WAIT_RULES_SECONDS: '1',
          ELK_WAIT_STATUS_SECONDS: '1',
          ELK_HOLD_SECONDS: '0.1',
          ELK_BOOT_BACKOFF_SECONDS: '0',
          ELK_BOOT_MAX_ATTEMPTS: '10',
          ELK_INSTANCE_ID: 'i-0123',
          ...extraEnv,
        },
      },
    );

  test('without a recorded bundle it only reports and exits 0 (the first deployment installs the rules)', () => {
    const r = boot();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('no deployed bundle recorded in /elk/test/alerter/current-bundle yet');
    expect(w.runs()).toEqual([]);
  });

  test('with a recorded bundle it installs the recorded deploy script and deploys that bundle', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    fs.copyFileSync(path.join(SCRIPTS, 'deploy-rules.sh'), path.join(w.s3, 'assets', 'deploy-rules.sh'));
    fs.writeFileSync(
      path.join(w.dir, 'ssm', 'elk', 'test', 'alerter', 'current-bundle'),
      JSON.stringify({
        bundle: v1.url,
        sha256: v1.hash,
        script: 's3://assets/deploy-rules.sh',
        esHost: 'es.test.internal',
      }),
    );
    const r = boot();
    expect(`${r.stdout}${r.stderr}`).toContain(`DEPLOYED bundle ${v1.hash}`);
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(w.root, 'bin', 'deploy-rules.sh'))).toBe(true);
    expect(fs.readlinkSync(path.join(w.root, 'current'))).toContain(v1.hash.slice(0, 16));
  });
});
