import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SCRIPTS, STUBS } from './deploy-world';

/**
 * scripts/alerter/heartbeat.sh against recorded answers of Elasticsearch to its query on elastalert_status (the
 * newest rule run), with stubbed aws, docker and curl (issue #15, part 3).
 */

let dir: string;
let state: string;
let root: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heartbeat-'));
  state = path.join(dir, 'state');
  root = path.join(dir, 'root');
  const rel = path.join(root, 'releases', 'r1');
  fs.mkdirSync(path.join(rel, 'certs'), { recursive: true });
  fs.mkdirSync(state);
  fs.writeFileSync(path.join(rel, 'bundle.env'), 'ES_HOST=\nES_PORT=9200\nWRITEBACK_INDEX=elastalert\n');
  fs.writeFileSync(path.join(rel, 'secrets.env'), 'ES_HOST=es.test.internal\nES_PASSWORD=pw\n');
  fs.writeFileSync(path.join(rel, 'curl.cfg'), 'user = "elastalert:pw"\n');
  fs.writeFileSync(path.join(rel, 'certs', 'ca.pem'), 'CA');
  fs.symlinkSync(rel, path.join(root, 'current'));
  containerStartedSecondsAgo(7200);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function containerStartedSecondsAgo(s: number) {
  const started = new Date(Date.now() - s * 1000).toISOString().replace('Z', '123Z');
  fs.writeFileSync(
    path.join(state, 'container'),
    ['true', started, path.join(root, 'current'), 'h', 's', '0'].join('\n'),
  );
}

/** A recorded answer of Elasticsearch 8 to the max aggregation, for a newest status document `ago` seconds old. */
function recorded(ago: number | null): string {
  const value = ago === null ? null : Date.now() - ago * 1000;
  const f = path.join(dir, 'answer.json');
  fs.writeFileSync(
    f,
    JSON.stringify({
      took: 2,
      timed_out: false,
      _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      hits: { total: { value: 8123, relation: 'eq' }, max_score: null, hits: [] },
      aggregations: {
        last:
          value === null
            ? { value: null }
            : { value: Number(value.toExponential(12)), value_as_string: new Date(value).toISOString() },
      },
    }),
  );
  return f;
}

function run(env: Record<string, string>) {
  const r = spawnSync(
    'bash',
    [
      path.join(SCRIPTS, 'heartbeat.sh'),
      ...['--environment', 'test', '--region', 'eu-west-1', '--stale-seconds', '600', '--grace-seconds', '900'],
      ...['--instance-id', 'i-0123'],
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${STUBS}:${process.env.PATH}`, STUB_STATE: state, ELK_ALERTER_ROOT: root, ...env },
    },
  );
  const f = path.join(state, 'calls');
  const calls = fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('aws '))
    : [];
  return { ...r, calls };
}

const metric = (calls: string[]) => {
  const put = calls.find((c) => c.includes('put-metric-data'));
  return put ? Number(/--value (\d+)/.exec(put)![1]) : undefined;
};

test('rules that run: the age of the newest status document is published, nothing else', () => {
  const r = run({ STUB_CURL_RESPONSE: recorded(90) });
  expect(r.status).toBe(0);
  expect(metric(r.calls)).toBeGreaterThanOrEqual(89);
  expect(metric(r.calls)).toBeLessThanOrEqual(95);
  expect(r.calls.join('\n')).toContain(
    '--namespace elk-cdk/Alerter --metric-name SecondsSinceLastRuleRun --unit Seconds',
  );
  expect(r.calls.join('\n')).toContain('--dimensions Environment=test');
  expect(r.calls.join('\n')).not.toContain('set-instance-health');
  expect(r.stdout).toMatch(/last rule run \d+s ago: evaluating/);
});

test('no rule ran for longer than the limit while Elasticsearch answers: the instance is marked Unhealthy', () => {
  const r = run({ STUB_CURL_RESPONSE: recorded(1200) });
  expect(metric(r.calls)).toBeGreaterThanOrEqual(1199);
  expect(r.calls).toContainEqual(
    'aws --region eu-west-1 autoscaling set-instance-health --instance-id i-0123 --health-status Unhealthy --no-should-respect-grace-period',
  );
});

test('a container that just started gets its grace period', () => {
  containerStartedSecondsAgo(60);
  const r = run({ STUB_CURL_RESPONSE: recorded(1200) });
  expect(r.calls.join('\n')).not.toContain('set-instance-health');
  expect(r.stdout).toContain('started less than 900s ago: waiting');
});

test('no status document at all: the age counts from the container start', () => {
  const r = run({ STUB_CURL_RESPONSE: recorded(null) });
  expect(metric(r.calls)).toBeGreaterThanOrEqual(7199);
  expect(r.calls.join('\n')).toContain('set-instance-health');
});

test('Elasticsearch unreachable: nothing published (the alarm sees missing data), the instance is left alone', () => {
  const r = run({ STUB_CURL_HTTP: '503' });
  expect(r.status).toBe(0);
  expect(r.calls).toEqual([]);
  expect(r.stdout).toContain('status query failed');
});

test('no rules deployed yet: nothing to measure', () => {
  fs.rmSync(path.join(root, 'current'));
  const r = run({ STUB_CURL_RESPONSE: recorded(90) });
  expect(r.status).toBe(0);
  expect(r.calls).toEqual([]);
});
