/**
 * A rule deployment does not restart ElastAlert in the middle of a run (issue #23): deploy-rules.sh waits, before
 * the switch, until no rule run is in progress in the running container (a rule queried after its last "Ran" line),
 * bounded by run_every (ELK_WAIT_RUN_SECONDS in these tests). Stubbed docker: STUB_MID_RUN.
 */
import * as fs from 'fs';
import * as path from 'path';
import { container, ruleText, World, world } from './deploy-world';

describe('deploy-rules.sh waits for a rule run in progress', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });
  afterEach(() => fs.rmSync(w.dir, { recursive: true, force: true }));

  const calls = () => fs.readFileSync(path.join(w.state, 'calls'), 'utf8');

  function deployTwice(env: Record<string, string>) {
    const v1 = w.publish({ 'a.yaml': ruleText('A') });
    expect(w.run(v1.url, v1.hash).status).toBe(0);
    const before = container(w)![1];
    const v2 = w.publish({ 'a.yaml': ruleText('A', 'realert:\n  minutes: 5\n') });
    const r = w.run(v2.url, v2.hash, env);
    return { r, before, v2 };
  }

  test('a run in progress is waited for, then the container is replaced once it has ended', () => {
    const { r, before, v2 } = deployTwice({ STUB_MID_RUN: '3', ELK_WAIT_RUN_SECONDS: '20' });
    expect(r.out).toContain('rule run(s) in progress: A; waiting for them to finish (at most 20s, run_every)');
    expect(r.out).toContain('the rule run(s) in progress finished');
    const waited = r.out.indexOf('the rule run(s) in progress finished');
    expect(waited).toBeLessThan(r.out.indexOf('switched current ->'));
    expect(r.status).toBe(0);
    expect(container(w)![3]).toBe(v2.hash);
    expect(container(w)![1]).not.toBe(before);
  });

  test('a run that does not end within run_every: the deployment goes on and says so', () => {
    const { r } = deployTwice({ STUB_MID_RUN: 'always', ELK_WAIT_RUN_SECONDS: '1' });
    expect(r.out).toMatch(/rule run\(s\) of A still in progress after 1s: replacing the container anyway/);
    const switched = r.out.indexOf('switched current ->');
    expect(switched).toBeGreaterThan(r.out.indexOf('still in progress'));
    // The container was recreated after the wait (this stub's never-ending run then fails the verification).
    expect(calls().match(/run -d/g)!.length).toBeGreaterThanOrEqual(2);
  });

  test('no run in progress: no wait and no message', () => {
    const { r } = deployTwice({});
    expect(r.status).toBe(0);
    expect(r.out).not.toContain('in progress');
  });
});
