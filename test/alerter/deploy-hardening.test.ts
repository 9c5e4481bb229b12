import * as fs from 'fs';
import * as path from 'path';
import { ruleText, World, world } from './deploy-world';

// Issue #13: what deploy-rules.sh prints reaches the SSM command history and CloudFormation events, so a failure
// that shows container logs or elastalert-test-rule output must not show the secret values it was given.

const HOOK = 'https://hooks.example/T0/B0/secret';

describe('deploy-rules.sh redacts secret values in what it prints', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  afterEach(() => fs.rmSync(w.dir, { recursive: true, force: true }));

  test('a container that dies printing its settings: the log lines and STATE keep no secret', () => {
    const v1 = w.publish({ 'crash.yaml': ruleText('Crash') });
    const r = w.run(v1.url, v1.hash, { STUB_LOG_SECRETS: '1', STUB_ES_PASSWORD: 'es-pw-0123456789' });
    expect(r.status).toBe(1);
    // the stub did print them: the reason names the settings line, with the values replaced
    expect(r.out).toContain('settings: ELK_SECRET_HOOK=[redacted] ES_HOST=es.test.internal ES_USERNAME=elastalert');
    expect(r.out).toContain('ES_PASSWORD=[redacted]');
    expect(r.out).not.toContain(HOOK);
    expect(r.out).not.toContain('es-pw-0123456789');
  });

  test('elastalert-test-rule output that echoes the secrets is redacted too', () => {
    const v1 = w.publish({ 'bad.yaml': ruleText('Bad', "alert_text: 'stub: fail-test'\n") });
    const r = w.run(v1.url, v1.hash, { STUB_LOG_SECRETS: '1', STUB_ES_PASSWORD: 'es-pw-0123456789' });
    expect(r.status).toBe(1);
    expect(r.out).toContain('while loading: ELK_SECRET_HOOK=[redacted]');
    expect(r.out).toContain('DEPLOY FAILED: rule bad.yaml fails elastalert-test-rule --schema-only');
    expect(r.out).not.toContain(HOOK);
    expect(r.out).not.toContain('es-pw-0123456789');
  });

  test('names that are not secret stay readable (a successful deployment prints as before)', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    const r = w.run(v1.url, v1.hash);
    expect(r.status).toBe(0);
    expect(r.out).toContain(`DEPLOYED bundle ${v1.hash}`);
    expect(r.out).not.toContain('[redacted]');
  });
});

describe('deploy-rules.sh runs ElastAlert hardened', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  afterEach(() => fs.rmSync(w.dir, { recursive: true, force: true }));

  test('the service container and the pre-flight: no capability, no privilege gain, read-only root, small /tmp', () => {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    expect(w.run(v1.url, v1.hash).status).toBe(0);
    const runs = fs
      .readFileSync(path.join(w.state, 'calls'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('docker run '));
    expect(runs).toHaveLength(2); // the pre-flight and the service
    for (const call of runs) {
      expect(call).toContain(
        '--cap-drop ALL --security-opt no-new-privileges --read-only --tmpfs /tmp:rw,noexec,nosuid,size=64m',
      );
    }
  });
});
