import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { container, lastLine, ruleText, SCRIPTS, STUBS, World, world } from './deploy-world';

/** deploy-rules.sh and boot.sh in adverse situations (issue #22), with the stubbed docker, aws and curl. */

let w: World;
beforeEach(() => {
  w = world();
});
afterEach(() => fs.rmSync(w.dir, { recursive: true, force: true }));

const calls = () => fs.readFileSync(path.join(w.state, 'calls'), 'utf8');

describe('deploys that failed for nothing', () => {
  test('a rule with is_enabled: false deploys (ElastAlert counts it in "N rules loaded")', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A'), 'off.yaml': ruleText('Disabled', 'is_enabled: false\n') });
    const r = w.run(v1.url, v1.hash);
    expect(r.out).toContain('log says 2 rules loaded');
    expect(r.status).toBe(0);
  });

  test('a 180 KB log does not hide the "rules loaded" line (no grep -q under pipefail)', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const r = w.run(v1.url, v1.hash, { STUB_BIG_LOG: '1' });
    expect(r.out).toContain('log says 1 rules loaded');
    expect(r.status).toBe(0);
    expect(w.runs()).toHaveLength(1);
  });

  test('a rate-limited pull does not matter when the pinned image is present: no pull at all', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const r = w.run(v1.url, v1.hash, { STUB_IMAGE_PRESENT: '1', STUB_PULL_FAIL: '1' });
    expect(r.status).toBe(0);
    expect(calls()).not.toContain('docker pull');
  });

  test('a missing image that cannot be pulled changes nothing and says why', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const r = w.run(v1.url, v1.hash, { STUB_PULL_FAIL: '1' });
    expect(r.status).toBe(1);
    expect(r.out).toContain('DEPLOY FAILED: cannot pull jertel/elastalert2:2.31.0 (and it is not present');
    expect(lastLine(r.stdout)).toBe('STATE: unchanged: nothing was changed on the instance');
  });
});

describe('deploys that succeeded wrongly', () => {
  test('a crash loop that looks healthy at first is rolled back, not reported as deployed', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const first = w.run(v1.url, v1.hash);
    const v2 = w.publish({ 'a.yaml': ruleText('A'), 'crashloop.yaml': ruleText('Loop') });
    const r = w.run(v2.url, v2.hash);
    expect(r.out).not.toContain(`DEPLOYED bundle ${v2.hash}`);
    expect(r.out).toMatch(/DEPLOY FAILED: the container did not stay up .*restarts=1.*a crash loop/);
    expect(r.status).toBe(1);
    expect(r.current).toBe(first.current);
    expect(lastLine(r.stdout)).toBe(
      `STATE: rolled back: the previous release ${first.current} runs (bundle ${v1.hash})`,
    );
  });

  test('the status query starts at the container start in milliseconds, not at the truncated second', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    expect(w.run(v1.url, v1.hash).status).toBe(0);
    const started = container(w)![1]!; // 2026-…T…:SS.nnnnnnnnnZ
    const body = JSON.parse(fs.readFileSync(path.join(w.state, 'curl-args'), 'utf8').split('\n').slice(-2)[0]!);
    const ms = Math.floor(Date.parse(started.replace(/(\.\d{3})\d*Z$/, '$1Z')));
    expect(body.query.range['@timestamp'].gte).toBe(ms);
  });

  test.each([
    [{ STUB_CURL_HTTP: '401' }, /the status query itself fails \(HTTP 401: .*unable to authenticate/],
    [{ STUB_CURL_EXIT: '6' }, /the status query itself fails \(curl exit 6: curl: \(6\) Could not resolve host/],
  ])('an error of the check itself (%j) is reported as such, not as broken rules', (env, message) => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const r = w.run(v1.url, v1.hash, env);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(message);
    expect(r.out).not.toContain('no new elastalert_status document');
  });
});

describe('rotated secrets', () => {
  test('the same bundle with a rotated secret recreates the container with the new value', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const first = w.run(v1.url, v1.hash);
    fs.writeFileSync(
      path.join(w.dir, 'ssm', 'elk', 'test', 'alerter', 'HOOK'),
      'https://hooks.example/T0/B0/rotated\n',
    );
    const r = w.run(v1.url, v1.hash);
    expect(r.out).toContain('its secrets changed (rotated): recreating the container');
    expect(r.status).toBe(0);
    expect(w.runs()).toHaveLength(2);
    expect(r.current).not.toBe(first.current);
    expect(fs.readFileSync(path.join(r.current!, 'secrets.env'), 'utf8')).toContain('/rotated');
  });

  test('a rotated elastalert password also reaches the container', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    w.run(v1.url, v1.hash);
    const r = w.run(v1.url, v1.hash, { STUB_ES_PASSWORD: 'pw-rotated' });
    expect(r.status).toBe(0);
    expect(w.runs()).toHaveLength(2);
    expect(fs.readFileSync(path.join(r.current!, 'secrets.env'), 'utf8')).toContain('ES_PASSWORD=pw-rotated');
  });
});

describe('what the operator sees', () => {
  test('TERM after the switch rolls back and says so in the final STATE line', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const first = w.run(v1.url, v1.hash);
    const v2 = w.publish({ 'a.yaml': ruleText('A'), 'b.yaml': ruleText('B') });
    const r = w.run(v2.url, v2.hash, { STUB_TERM_ON_RUN: '1' });
    expect(r.out).toContain('DEPLOY FAILED: interrupted (TERM) after the switch');
    expect(r.status).toBe(1);
    expect(r.current).toBe(first.current);
    expect(container(w)![2]).toBe(first.current);
    expect(lastLine(r.stdout)).toBe(
      `STATE: rolled back: the previous release ${first.current} runs (bundle ${v1.hash})`,
    );
  });

  test('too little time left before the deadline: no switch, nothing changed', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const r = w.run(v1.url, v1.hash, { ELK_DEADLINE_SECONDS: '5' });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/DEPLOY FAILED: not switching: \d+s left before this command's deadline/);
    expect(r.current).toBeNull();
    expect(w.runs()).toEqual([]);
    expect(lastLine(r.stdout)).toBe('STATE: unchanged: nothing was changed on the instance');
  });

  test('left-over staging folders of a killed deployment are removed', () => {
    const left = path.join(w.root, 'releases', '.staging-killed-1');
    fs.mkdirSync(path.join(left, 'bundle'), { recursive: true });
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    expect(w.run(v1.url, v1.hash).status).toBe(0);
    expect(fs.readdirSync(path.join(w.root, 'releases')).filter((f) => f.startsWith('.staging'))).toEqual([]);
  });

  test('a full disk while staging: DEPLOY FAILED, nothing changed, nothing left behind', () => {
    const bin = path.join(w.dir, 'fullbin');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'tar'),
      '#!/bin/sh\necho "tar: rules/a.yaml: Cannot write: No space left on device" >&2\nexit 2\n',
      {
        mode: 0o755,
      },
    );
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const r = w.run(v1.url, v1.hash, { PATH: `${bin}:${STUBS}:${process.env.PATH}` });
    expect(r.status).toBe(1);
    expect(r.out).toContain('No space left on device');
    expect(r.out).toContain('DEPLOY FAILED: the bundle is not a tar archive (or the disk is full)');
    expect(lastLine(r.stdout)).toBe('STATE: unchanged: nothing was changed on the instance');
    expect(fs.readdirSync(path.join(w.root, 'releases'))).toEqual([]);
  });
});

describe('boot.sh never gives up', () => {
  const boot = (env: Record<string, string> = {}) =>
    spawnSync(
      'bash',
      [
        path.join(SCRIPTS, 'boot.sh'),
        ...[
          '--parameter',
          '/elk/test/alerter/current-bundle',
          '--region',
          'eu-west-1',
          '--ca-parameter',
          '/elk/test/ca',
        ],
        ...['--signal-stack', 'elk-test-alerter', '--signal-resource', 'AlerterGroup'],
      ],
      {
        encoding: 'utf8',
        timeout: 60000,
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
          ELK_BOOT_MAX_ATTEMPTS: '30',
          ELK_INSTANCE_ID: 'i-0123',
          ...env,
        },
      },
    );
  const record = () => {
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
    return v1;
  };
  const signals = () => {
    const f = path.join(w.state, 'signals');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
  };

  test('Elasticsearch down at boot, then up: the container stays, verification is retried, then signalled', () => {
    const v1 = record();
    // one status query per attempt (no wait): down for the first deployment and the first re-verification
    const r = boot({ STUB_ES_DOWN_QUERIES: '2', ELK_WAIT_STATUS_SECONDS: '0' });
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toContain('STATE: UNVERIFIED: bundle');
    expect(out).toContain('the status query itself fails (HTTP 503');
    expect(out).toContain(`DEPLOYED bundle ${v1.hash} was already active and is verified`);
    expect(r.status).toBe(0);
    // the first container was never removed: verified in place
    expect(w.runs()).toHaveLength(1);
    expect(container(w)![0]).toBe('true');
    expect(signals()).toContain(
      '--stack-name elk-test-alerter --logical-resource-id AlerterGroup --unique-id i-0123 --status SUCCESS',
    );
  });

  test('a throttled get-parameter is retried, not taken for "no bundle yet"', () => {
    const v1 = record();
    const r = boot({ STUB_SSM_THROTTLED_CALLS: '2' });
    const out = `${r.stdout}${r.stderr}`;
    expect(out).not.toContain('no deployed bundle recorded');
    expect(out).toContain('ThrottlingException');
    expect(out).toContain(`DEPLOYED bundle ${v1.hash}`);
    expect(r.status).toBe(0);
  });

  test('only ParameterNotFound means no bundle: it signals (the first deployment follows) and exits 0', () => {
    const r = boot();
    expect(r.stdout).toContain('no deployed bundle recorded in /elk/test/alerter/current-bundle yet');
    expect(r.status).toBe(0);
    expect(signals()).toContain('--status SUCCESS');
  });
});
