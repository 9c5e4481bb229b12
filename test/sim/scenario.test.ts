import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadScenario, parseScenario, ScenarioError } from '../../sim/scenario';

const valid = () => ({
  name: 'x',
  cluster: {
    version: '8.18.2',
    masters: 3,
    dataNodes: 3,
    indices: [{ name: 'logs', shards: 3, replicas: 1, docs: 3, bytes: 3000 }],
  },
  change: { version: '8.19.3' },
});

function problems(input: unknown): string[] {
  try {
    parseScenario(input, 'my.json');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('scenario validation', () => {
  it('applies the documented defaults', () => {
    const s = parseScenario(valid());
    expect(s.seed).toBe(1);
    expect(s.model).toMatchObject({
      recoveryBytesPerSecond: 41943040,
      nodeConcurrentRecoveries: 2,
      clusterConcurrentRebalance: 2,
      bootSeconds: 120,
      joinSeconds: 20,
      pollSeconds: 30,
      pauseSeconds: 300,
      delayedTimeoutSeconds: 60,
      maxRetries: 5,
    });
    expect(s.cluster.diskBytesPerDataNode).toBe(1024 ** 4);
    expect(s.faults).toEqual([]);
    expect(s.limits.maxSimulatedSeconds).toBe(172800);
    expect(s.rollout).toEqual({
      method: 'auto',
      maxSurge: 1,
      surgePlacement: 'orchestrator',
      snapshotBeforeRoll: false,
    });
    expect(s.model.joinAfterAttachSeconds).toBe(0);
  });

  it.each([
    [
      'a misspelled top-level key',
      { ...valid(), fualts: [] },
      /my\.json: unknown key "fualts"; allowed keys here: name, description, seed/,
    ],
    [
      'a misspelled model key',
      { ...valid(), model: { bootSecond: 3 } },
      /unknown key "model\.bootSecond"; allowed keys here: recoveryBytesPerSecond, .*bootSeconds/,
    ],
    ['a missing version', { ...valid(), cluster: { ...valid().cluster, version: undefined } }, /cluster\.version: /],
    [
      'more replicas than data nodes allow',
      {
        ...valid(),
        cluster: { ...valid().cluster, indices: [{ name: 'l', shards: 1, replicas: 3, docs: 1, bytes: 1 }] },
      },
      /cluster\.indices\[0\]\.replicas: 3 replicas need 4 data nodes, the cluster has 3: allowed 0\.\.2/,
    ],
    [
      'an unknown fault kind',
      { ...valid(), faults: [{ kind: 'meteor', at: 1 }] },
      /my\.json: faults\[0\]\.kind: must be one of crash-orchestrator, kill-node/,
    ],
    [
      'an unknown key inside a fault',
      { ...valid(), faults: [{ kind: 'kill-node', at: 1, rol: 'data' }] },
      /unknown key "faults\[0\]\.rol"; allowed keys here: kind, at, role, node/,
    ],
    ['a downgrade', { ...valid(), change: { version: '8.17.0' } }, /change\.version: 8\.17\.0 is older than 8\.18\.2/],
    ['a major jump from the wrong minor', { ...valid(), change: { version: '9.1.0' } }, /must start from 8\.19\.x/],
    ['an empty change', { ...valid(), change: {} }, /change: needs "version".*"ami".*and\/or "caGeneration"/],
    [
      'more data than the disks hold',
      { ...valid(), cluster: { ...valid().cluster, diskBytesPerDataNode: 1000 } },
      /cluster\.indices: the indices need 6000 bytes .* raise cluster\.diskBytesPerDataNode or cluster\.dataNodes/,
    ],
    [
      'an es-timeouts window that ends before it starts',
      { ...valid(), faults: [{ kind: 'es-timeouts', from: 10, to: 5 }] },
      /faults\[0\]\.to: must be greater than "from"/,
    ],
  ])('refuses %s with a message naming the key', (_what, input, message) => {
    expect(problems(input).join('\n')).toMatch(message);
  });

  it('names the file when it is not JSON, and every example scenario is valid', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sim-')), 'bad.json');
    fs.writeFileSync(file, '{ "name": ');
    expect(() => loadScenario(file)).toThrow(/bad\.json: not valid JSON/);
    const dir = path.join(__dirname, '..', '..', 'sim', 'scenarios');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect(() => loadScenario(path.join(dir, f))).not.toThrow();
  });
});
