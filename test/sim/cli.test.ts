import { Client } from '@elastic/elasticsearch';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { simRun, simServe } from '../../sim/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elkctl-sim-'));
function scenarioFile(name: string, body: unknown): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, JSON.stringify(body));
  return f;
}
const small = {
  name: 'cli-small',
  model: { bootJitterSeconds: 0 },
  cluster: {
    version: '8.18.2',
    masters: 3,
    dataNodes: 3,
    indices: [{ name: 'logs', shards: 6, replicas: 1, docs: 6_000_000, bytes: 200 * 1024 ** 3 }],
  },
  change: { version: '8.19.3' },
};

async function run(opts: Parameters<typeof simRun>[0]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await simRun(
    opts,
    (s) => (out += s),
    (s) => (err += s),
  );
  return { code, out, err };
}

describe('elkctl sim run', () => {
  it('prints one JSON report and exits 0 when the strategy completes', async () => {
    const r = await run({ scenario: scenarioFile('ok.json', small), strategy: 'terminate-and-wait-green', json: true });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(Object.keys(report)).toEqual([
      'scenario',
      'strategy',
      'outcome',
      'reason',
      'simulatedSeconds',
      'documentsLost',
      'primariesLost',
      'documentsIndexed',
      'writesRejected',
      'tasksKilled',
      'secondsRed',
      'secondsWithoutMaster',
      'secondsUnderReplicated',
      'bytesRecovered',
      'nodesReplaced',
      'terminatedInstances',
      'method',
      'volumesOrphaned',
      'unattachedLeft',
      'finalVersions',
      'finalHealth',
      'steps',
    ]);
    expect(report).toMatchObject({ scenario: 'cli-small', outcome: 'completed', documentsLost: 0 });
    expect(Object.values(report.method)).toEqual(Array(6).fill('terminate-and-wait-green'));
  });

  it('--method and --max-surge override the scenario: drains in one batch of 3, every node drained', async () => {
    const f = scenarioFile('surge.json', { ...small, rollout: { method: 'drain', maxSurge: 1 } });
    const r = await run({ scenario: f, json: true, method: 'drain', maxSurge: 3 });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(Object.values(report.method)).toEqual(Array(6).fill('drain'));
    expect(report.volumesOrphaned).toBe(0);
    const dataSurges = report.steps.filter(
      (s: { action: string; node?: string }) => s.action === 'surge' && s.node === 'elk-data',
    );
    expect(dataSurges.map((s: { reason: string }) => /desired \d+ → (\d+)/.exec(s.reason)?.[1])).toEqual(['6']);
  });

  it.each([
    [{ method: 'fast' }, /--method fast: allowed drain, handoff, auto/],
    [{ maxSurge: 4 }, /--max-surge 4: allowed 1\.\.3 \(cluster\.dataNodes\)/],
    [{ surgePlacement: 'asg' }, /--surge-placement asg: allowed orchestrator, auto-scaling/],
  ])('refuses %j with exit 2', async (extra, message) => {
    const r = await run({ scenario: scenarioFile('bad-flags.json', small), ...extra });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('prints a human table that warns about lost documents', async () => {
    const r = await run({ scenario: scenarioFile('loss.json', small), strategy: 'cfn-rolling-update' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/documents lost\s+[1-9]\d* \(\d+ primaries lost\)/);
    expect(r.out).toMatch(/WARNING: \d+ documents lost/);
  });

  it('exits 1 when the strategy times out', async () => {
    const r = await run({
      scenario: scenarioFile('short.json', { ...small, limits: { maxSimulatedSeconds: 600 } }),
      strategy: 'terminate-and-wait-green',
      json: true,
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).outcome).toBe('timed-out');
  });

  it('exits 2 with the key named for a bad scenario, and for an unknown strategy', async () => {
    const bad = await run({ scenario: scenarioFile('bad.json', { ...small, modle: {} }) });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/bad\.json: unknown key "modle"/);
    const unknown = await run({ scenario: scenarioFile('ok2.json', small), strategy: 'yolo' });
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(
      /unknown strategy "yolo": allowed orchestrator, cfn-rolling-update, terminate-and-wait-green/,
    );
  });
});

describe('elkctl sim serve', () => {
  it('serves the cluster on 127.0.0.1 with the clock at --speed times the wall clock', async () => {
    let wall = 0;
    const out: string[] = [];
    const stop = await simServe(
      { scenario: scenarioFile('serve.json', small), port: 0, speed: 60 },
      (s) => out.push(s),
      () => wall,
    );
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.join(''))![1];
    const client = new Client({ node: url });
    try {
      expect((await client.cluster.health()).status).toBe('green');
      // 100 wall seconds at 60x: the cluster is 6000 s older, which shows in a node's uptime.
      wall = 100;
      const nodes = await client.cat.nodes({ format: 'json', h: 'name,uptime' });
      expect(nodes[0].uptime).toBe('1.7h');
    } finally {
      await client.close();
      await stop();
    }
  });
});
