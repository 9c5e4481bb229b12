import { contractProblems, endpointOf } from '../../sim/es/contract/check';
import { createSimulation } from '../../sim/runner';
import { scenario } from './builders';

/** The simulator's answers against schemas generated from @elastic/elasticsearch's response types. */
describe('response contracts', () => {
  const sim = createSimulation(
    scenario({
      faults: [
        { kind: 'task', at: 0, node: 'i-00000000000000004', action: 'indices:data/write/reindex', seconds: 999 },
      ],
    }),
  );
  sim.world.advanceTo(1);

  it.each([
    ['GET', '/_cluster/health'],
    ['GET', '/_cluster/health?level=shards'],
    ['GET', '/_nodes'],
    ['GET', '/_cat/nodes?format=json&h=name,id,master,node.role&full_id=true'],
    ['GET', '/_cat/allocation?format=json&bytes=b'],
    ['GET', '/_cat/shards?format=json&bytes=b'],
    ['GET', '/_cluster/settings?flat_settings=true&include_defaults=true'],
    ['GET', '/_tasks?detailed'],
  ])('%s %s conforms to the client type', (method, url) => {
    expect(endpointOf(method, url)).toBeDefined();
    const r = sim.api.request(method, url);
    expect(r.status).toBe(200);
    expect(contractProblems(method, url, r.status, r.body)).toEqual([]);
  });

  it('allocation explain of a replica conforms', () => {
    sim.world.cluster.applySettings('transient', new Map([['cluster.routing.allocation.enable', 'primaries']]));
    sim.world.kill('i-00000000000000004');
    const url = '/_cluster/allocation/explain?include_yes_decisions=true';
    const r = sim.api.request('POST', url);
    expect(r.status).toBe(200);
    expect(contractProblems('POST', url, r.status, r.body)).toEqual([]);
  });

  it('finds answers the types do not allow', () => {
    expect(contractProblems('GET', '/_cluster/health', 200, { status: 'purple' }).join('\n')).toMatch(
      /cluster\.health response/,
    );
    expect(contractProblems('GET', '/_cat/shards?format=json', 200, [{ index: 'x', docs: 12 }]).join('\n')).toMatch(
      /\/0\/docs/,
    );
    // Not covered: errors, filtered answers, other endpoints.
    expect(contractProblems('GET', '/_cluster/health', 503, {})).toEqual([]);
    expect(contractProblems('GET', '/_cluster/health?filter_path=status', 200, {})).toEqual([]);
    expect(endpointOf('GET', '/_cluster/state')).toBeUndefined(); // typed any by the client
  });
});
