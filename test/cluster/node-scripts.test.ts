import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const NODE_SCRIPTS = path.join(ROOT, 'scripts', 'node');
const STUBS = path.join(__dirname, 'stubs');
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/elk-dev-cluster/1111-2222';

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-node-'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

function run(script: string, env: Record<string, string>, args: string[] = []) {
  const r = spawnSync('bash', [path.join(NODE_SCRIPTS, script), ...args], {
    encoding: 'utf8',
    env: { PATH: `${STUBS}:${process.env.PATH}`, STUB_LOG: path.join(work, 'calls.log'), ...env },
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

function calls(): string[] {
  const f = path.join(work, 'calls.log');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\n') : [];
}

describe('es-bootstrap-decision.sh: first formation or join', () => {
  const t0 = '2026-01-01T10:00:00+00:00';
  const t0plus = (s: number) => new Date(Date.parse(t0) + s * 1000).toISOString().replace('.000Z', '+00:00');

  function decide(o: { marker?: string; masters: Array<[string, number]>; self: string; attempts?: number }) {
    const file = path.join(work, 'masters.txt');
    fs.writeFileSync(file, o.masters.map(([id, s]) => `${id} ${t0plus(s)}`).join('\n') + '\n');
    return run('es-bootstrap-decision.sh', {
      ELK_INSTANCE_ID: o.self,
      ELK_REGION: 'eu-west-1',
      ELK_MARKER_PARAMETER: '/elk/dev/cluster/formation-marker',
      ELK_STACK_ID: STACK_ID,
      ELK_DISCOVERY_TAG: 'dev-elk',
      ELK_MASTER_COUNT: '3',
      ELK_DECISION_ATTEMPTS: String(o.attempts ?? 3),
      ELK_DECISION_SLEEP: '0',
      STUB_MASTERS: file,
      ...(o.marker !== undefined ? { STUB_MARKER: o.marker } : {}),
    });
  }

  test.each([
    {
      name: 'bootstraps with the three masters, sorted, when they launched together and no marker exists',
      masters: [
        ['i-0ccc', 5],
        ['i-0aaa', 0],
        ['i-0bbb', 12],
      ] as Array<[string, number]>,
      self: 'i-0bbb',
      expected: 'bootstrap i-0aaa,i-0bbb,i-0ccc',
    },
    {
      name: 'ignores a stale marker of a deleted stack and bootstraps the new cluster',
      marker: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/elk-dev-cluster/old-old some-uuid',
      masters: [
        ['i-0aaa', 0],
        ['i-0bbb', 1],
        ['i-0ccc', 2],
      ] as Array<[string, number]>,
      self: 'i-0aaa',
      expected: 'bootstrap i-0aaa,i-0bbb,i-0ccc',
    },
  ])('$name', (c) => {
    const r = decide(c);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(c.expected);
  });

  // A replacement master must never set cluster.initial_master_nodes: each row is one way to recognise it.
  test.each([
    {
      name: 'joins when the formation marker of this stack exists',
      marker: `${STACK_ID} Yx3kq9`,
      masters: [
        ['i-0aaa', 0],
        ['i-0bbb', 1],
        ['i-0new', 2],
      ] as Array<[string, number]>,
      reason: /formation marker .* is present/,
    },
    {
      name: 'joins when another master was launched long before it (replacement without a marker)',
      masters: [
        ['i-0aaa', 0],
        ['i-0bbb', 1],
        ['i-0new', 86400],
      ] as Array<[string, number]>,
      reason: /this is a replacement/,
    },
    {
      name: 'joins when more masters run than the group size (surge during a replacement)',
      masters: [
        ['i-0aaa', 0],
        ['i-0bbb', 1],
        ['i-0ccc', 2],
        ['i-0new', 3],
      ] as Array<[string, number]>,
      reason: /replacement is in flight/,
    },
    {
      name: 'joins, never bootstraps, when it cannot see the full set of masters',
      masters: [
        ['i-0aaa', 0],
        ['i-0new', 1],
      ] as Array<[string, number]>,
      reason: /not bootstrapping on doubt/,
    },
  ])('$name', (c) => {
    const r = decide({ ...c, self: 'i-0new' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('join');
    expect(r.stderr).toMatch(c.reason);
  });

  test('looks again while masters are still launching, then bootstraps once all of them are there', () => {
    const later = path.join(work, 'later.txt');
    fs.writeFileSync(later, ['i-0aaa', 'i-0bbb', 'i-0new'].map((id, i) => `${id} ${t0plus(i)}`).join('\n') + '\n');
    const file = path.join(work, 'masters.txt');
    fs.writeFileSync(file, `i-0new ${t0plus(2)}\n`);
    const r = run('es-bootstrap-decision.sh', {
      ELK_INSTANCE_ID: 'i-0new',
      ELK_REGION: 'eu-west-1',
      ELK_MARKER_PARAMETER: '/elk/dev/cluster/formation-marker',
      ELK_STACK_ID: STACK_ID,
      ELK_DISCOVERY_TAG: 'dev-elk',
      ELK_MASTER_COUNT: '3',
      ELK_DECISION_ATTEMPTS: '10',
      ELK_DECISION_SLEEP: '0',
      STUB_MASTERS: file,
      STUB_MASTERS_LATER: later,
      STUB_MASTERS_SWITCH_AT: '3',
    });
    expect(r.stdout).toBe('bootstrap i-0aaa,i-0bbb,i-0new');
    expect(calls().filter((c) => c.startsWith('aws ec2 describe-instances'))).toHaveLength(3);
    expect(calls().filter((c) => c.startsWith('sleep'))).toHaveLength(2);
  });

  test('asks EC2 only for this cluster’s running masters', () => {
    decide({
      masters: [
        ['i-0aaa', 0],
        ['i-0bbb', 1],
        ['i-0ccc', 2],
      ],
      self: 'i-0aaa',
    });
    const describe = calls().find((c) => c.startsWith('aws ec2 describe-instances'))!;
    expect(describe).toContain('Name=tag:elk-cdk:cluster,Values=dev-elk');
    expect(describe).toContain('Name=tag:elk-cdk:role,Values=master');
    expect(describe).toContain('Name=instance-state-name,Values=pending,running');
  });

  test('refuses to run without its inputs', () => {
    const r = run('es-bootstrap-decision.sh', { ELK_INSTANCE_ID: 'i-1' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ELK_REGION is required/);
  });
});

describe('es-config.sh: elasticsearch.yml', () => {
  function render(role: string, args: string[] = [], extra: Record<string, string> = {}) {
    const env = {
      ...extra,
      ELK_ROLE: role,
      ELK_CLUSTER_NAME: 'elk',
      ELK_INSTANCE_ID: 'i-0abc',
      ELK_PRIVATE_IP: '10.40.1.10',
      ELK_AVAILABILITY_ZONE: 'eu-west-1a',
      ELK_REGION: 'eu-west-1',
      ELK_DISCOVERY_TAG: 'dev-elk',
      ELK_ES_SECURITY_GROUP: 'sg-0123',
      ELK_DATA_PATH: '/var/lib/elasticsearch-data',
      ELK_HEAP_MIB: '2048',
      ELK_ES_CONF_DIR: work,
    };
    const r = run('es-config.sh', env, args);
    const yml = fs.existsSync(path.join(work, 'elasticsearch.yml'))
      ? fs.readFileSync(path.join(work, 'elasticsearch.yml'), 'utf8')
      : '';
    return { ...r, yml };
  }

  test('a joining master names itself by instance id, discovers masters by tag and never sets initial masters', () => {
    const r = render('master');
    expect(r.status).toBe(0);
    expect(r.yml).toContain('node.name: "i-0abc"');
    expect(r.yml).toContain('node.roles: [ master ]');
    expect(r.yml).toContain('discovery.seed_providers: ec2');
    expect(r.yml).toContain('"discovery.ec2.tag.elk-cdk:cluster": "dev-elk"');
    expect(r.yml).toContain('path.data: "/var/lib/elasticsearch-data"');
    expect(r.yml).not.toContain('initial_master_nodes');
    expect(fs.readFileSync(path.join(work, 'jvm.options.d', 'heap.options'), 'utf8')).toBe('-Xms2048m\n-Xmx2048m\n');
  });

  test('the first formation lists exactly the decided masters', () => {
    const r = render('master', ['--bootstrap', 'i-0a,i-0b,i-0c']);
    expect(r.status).toBe(0);
    expect(r.yml).toContain('cluster.initial_master_nodes: [ "i-0a", "i-0b", "i-0c" ]');
  });

  test('a data node holds data and ingest roles and never bootstraps', () => {
    expect(render('data').yml).toContain('node.roles: [ data, ingest ]');
    const r = render('data', ['--bootstrap', 'i-0a,i-0b,i-0c']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/only for master-eligible nodes/);
  });

  test('audit logging only when the environment turns it on (issue #13)', () => {
    expect(render('data').yml).not.toContain('xpack.security.audit');
    expect(render('data', [], { ELK_AUDIT_LOGGING: 'true' }).yml).toContain('xpack.security.audit.enabled: true\n');
    const r = render('data', [], { ELK_AUDIT_LOGGING: 'yes' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ELK_AUDIT_LOGGING must be true or false/);
  });

  test('rejects something that is not an instance id in the bootstrap list', () => {
    const r = render('master', ['--bootstrap', 'i-0a,node-1']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/'node-1' is not an instance id/);
  });
});

describe('es-mark-formed.sh: the formation marker', () => {
  function mark(env: Record<string, string>) {
    fs.writeFileSync(
      path.join(work, 'elasticsearch.yml'),
      'node.name: "i-0a"\n# First formation only; es-mark-formed.sh removes this line once the cluster has formed.\ncluster.initial_master_nodes: [ "i-0a" ]\n',
    );
    return run('es-mark-formed.sh', {
      ELK_REGION: 'eu-west-1',
      ELK_MARKER_PARAMETER: '/elk/dev/cluster/formation-marker',
      ELK_STACK_ID: STACK_ID,
      ELK_ES_CONF_DIR: work,
      ELK_FORMED_ATTEMPTS: '2',
      ELK_FORMED_SLEEP: '0',
      ...env,
    });
  }

  test('writes "<stack id> <cluster uuid>" once the cluster formed and drops initial_master_nodes', () => {
    const r = mark({ STUB_ES_ROOT: '{"name":"i-0a","cluster_uuid":"Yx3kq9"}' });
    expect(r.status).toBe(0);
    const put = calls().find((c) => c.startsWith('aws ssm put-parameter'))!;
    expect(put).toContain(`--value ${STACK_ID} Yx3kq9`);
    expect(put).not.toContain('--overwrite');
    expect(fs.readFileSync(path.join(work, 'elasticsearch.yml'), 'utf8')).toBe('node.name: "i-0a"\n');
  });

  test('writes nothing while the cluster has not formed', () => {
    const r = mark({ STUB_ES_ROOT: '{"name":"i-0a","cluster_uuid":"_na_"}' });
    expect(r.status).not.toBe(0);
    expect(calls().some((c) => c.startsWith('aws ssm put-parameter'))).toBe(false);
    expect(fs.readFileSync(path.join(work, 'elasticsearch.yml'), 'utf8')).toContain('initial_master_nodes');
  });

  test('leaves this stack’s marker alone and replaces a stale one', () => {
    mark({ STUB_ES_ROOT: '{"cluster_uuid":"Yx3kq9"}', STUB_MARKER: `${STACK_ID} Yx3kq9` });
    expect(calls().some((c) => c.startsWith('aws ssm put-parameter'))).toBe(false);
    fs.rmSync(path.join(work, 'calls.log'));
    mark({ STUB_ES_ROOT: '{"cluster_uuid":"Yx3kq9"}', STUB_MARKER: 'arn:other-stack old' });
    expect(calls().find((c) => c.startsWith('aws ssm put-parameter'))).toContain('--overwrite');
  });

  test('with security, authenticates as node_monitor over HTTPS without the password on the command line', () => {
    mark({
      STUB_ES_ROOT: '{"cluster_uuid":"Yx3kq9"}',
      ELK_MONITOR_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:elk/dev/users/node_monitor',
      STUB_SECRET: '{"username":"node_monitor","password":"s3cretPassw0rd"}',
    });
    const curl = calls().find((c) => c.startsWith('curl'))!;
    expect(curl).toContain('https://localhost:9200/');
    expect(curl).toContain('--cacert');
    expect(curl).toContain('-K');
    expect(calls().join('\n')).not.toContain('s3cretPassw0rd');
  });

  test('reads the answer and the secret without python3 (stubs/python3 fails), polling included', () => {
    const r = mark({
      STUB_ES_ROOT: '{\n  "name" : "i-0a",\n  "cluster_uuid" : "Yx3kq9",\n  "version" : { "number" : "8.19.3" }\n}',
      ELK_MONITOR_SECRET_ID: 'elk/dev/users/node_monitor',
      STUB_SECRET: '{"username": "node_monitor", "password": "s3cretPassw0rd"}',
    });
    expect(r.stderr).toContain('cluster Yx3kq9 formed; marker written');
    expect(r.status).toBe(0);
    expect(calls().filter((c) => c.startsWith('python3'))).toEqual([]);
  });

  test('a secret value with an escape is refused, not misread', () => {
    const r = mark({
      STUB_ES_ROOT: '{"cluster_uuid":"Yx3kq9"}',
      ELK_MONITOR_SECRET_ID: 'elk/dev/users/node_monitor',
      STUB_SECRET: '{"username":"node_monitor","password":"s3cret\\"Passw0rd"}',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('holds no "username" and "password" of letters and digits');
    expect(calls().some((c) => c.startsWith('curl'))).toBe(false);
  });
});
