/**
 * The Logstash termination hook handler (scripts/node/logstash-drain.sh, issue #23) over fakes: IMDS, Logstash's node
 * stats and the AWS CLI are stubs, the clock is advanced by the stubbed sleep. Queue not empty → heartbeat; empty →
 * complete; timeout → complete with a logged count of the events left.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'node', 'logstash-drain.sh');
const STUBS = path.join(__dirname, 'stubs', 'logstash-drain');

interface Run {
  readonly out: string;
  readonly aws: string[];
}

function run(states: string[], queue: string[], env: Record<string, string> = {}): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-drain-'));
  try {
    fs.mkdirSync(path.join(dir, 'root', 'etc', 'elk-cdk'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'root', 'etc', 'elk-cdk', 'node.env'),
      "ELK_REGION='eu-west-1'\nELK_STACK_NAME='elk-dev-cluster'\nELK_SIGNAL_RESOURCE='LogstashGroupABC'\n",
    );
    fs.writeFileSync(path.join(dir, 'states'), states.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'queue'), queue.join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'clock'), '1000\n');
    fs.writeFileSync(path.join(dir, 'log'), '');
    const out = execFileSync('bash', [SCRIPT], {
      env: {
        PATH: `${STUBS}:${process.env.PATH}`,
        STUB_DIR: dir,
        ELK_ROOT: path.join(dir, 'root'),
        ELK_LS_HOOK: 'elk-cdk-logstash-drain',
        ELK_LS_DRAIN_TIMEOUT: '600',
        ELK_LS_HEARTBEAT_EVERY: '60',
        ELK_LS_DRAIN_POLL: '10',
        ...env,
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    const aws = fs
      .readFileSync(path.join(dir, 'log'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('aws '));
    return { out, aws };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const calls = (r: Run, action: string) => r.aws.filter((l) => l.includes(` ${action} `));

describe('logstash-drain.sh (Logstash termination hook)', () => {
  test('waits while the instance is in service; an empty queue at termination completes at once', () => {
    const r = run(['InService', 'InService', 'Terminated'], ['0']);
    expect(calls(r, 'record-lifecycle-action-heartbeat')).toHaveLength(0);
    const done = calls(r, 'complete-lifecycle-action');
    expect(done).toHaveLength(1);
    expect(done[0]).toContain('--auto-scaling-group-name elk-logstash-group');
    expect(done[0]).toContain('--lifecycle-hook-name elk-cdk-logstash-drain');
    expect(done[0]).toContain('--instance-id i-0123456789abcdef0');
    expect(done[0]).toContain('--lifecycle-action-result CONTINUE');
    // The termination was seen after two polls (20 s of the fake clock).
    expect(done[0]).toMatch(/@1020$/);
    expect(r.out).toMatch(/queue drained after 0 s/);
  });

  test('a queue that is not empty: heartbeats while it drains, completes once it is empty', () => {
    // One check every 10 s: 9000 events for 130 s, then fewer, then none.
    const queue = [...Array(13).fill('9000'), '400', '0'];
    const r = run(['Terminated'], queue);
    const beats = calls(r, 'record-lifecycle-action-heartbeat');
    expect(beats.map((l) => l.replace(/.*@/, ''))).toEqual(['1060', '1120']);
    const done = calls(r, 'complete-lifecycle-action');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatch(/@1140$/);
    expect(r.out).toMatch(/heartbeat: 9000 events left after 60 s/);
    expect(r.out).toMatch(/queue drained after 140 s/);
  });

  test('past the timeout: completes anyway and logs how many events were left', () => {
    const r = run(['Terminated'], ['5000', '4000', '3500'], { ELK_LS_DRAIN_POLL: '60', ELK_LS_HEARTBEAT_EVERY: '120' });
    const done = calls(r, 'complete-lifecycle-action');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatch(/@1600$/);
    expect(r.out).toMatch(/drain timeout after 600 s: 3500 events left in the queue/);
    expect(calls(r, 'record-lifecycle-action-heartbeat').length).toBe(4);
  });

  test('Logstash not answering is no drain: heartbeats, then completes at the timeout saying the count is unknown', () => {
    const r = run(['Terminated'], ['down'], { ELK_LS_DRAIN_POLL: '60', ELK_LS_HEARTBEAT_EVERY: '120' });
    expect(r.out).toMatch(/heartbeat: unknown \(Logstash did not answer\)/);
    expect(r.out).toMatch(/drain timeout after 600 s: an unknown number of events left/);
    expect(calls(r, 'complete-lifecycle-action')).toHaveLength(1);
  });
});
