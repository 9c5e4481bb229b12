import { createSimulation } from '../../sim/runner';
import { instanceIdOf as iid } from '../../sim/fault-schema';
import { scenario } from './builders';

/** Requests as strict as Elasticsearch: unknown query parameters and removed paths are refused (issue #11). */
describe('strict requests', () => {
  const sim = createSimulation(scenario());

  it.each([
    ['/_cluster/health?wait_for_stauts=green', '/_cluster/health', 'wait_for_stauts'],
    ['/_cat/shards?format=json&bites=b', '/_cat/shards', 'bites'],
    ['/_nodes?level=shards', '/_nodes', 'level'],
    ['/_tasks?node=x', '/_tasks', 'node'],
  ])('GET %s answers 400 naming the parameter', (url, path, param) => {
    const r = sim.api.request('GET', url);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      error: {
        type: 'illegal_argument_exception',
        reason: `request [${path}] contains unrecognized parameter: [${param}]`,
      },
    });
  });

  it('accepts the parameters the REST specification lists, and the common ones', () => {
    expect(
      sim.api.request('GET', '/_cluster/health?wait_for_status=green&timeout=1s&pretty&filter_path=status').status,
    ).toBe(200);
    expect(sim.api.request('GET', '/_cat/nodes?format=json&h=name&s=name&bytes=b&full_id=true').status).toBe(200);
  });

  it('the legacy voting-exclusion path /_cluster/voting_config_exclusions/{node_name} is gone', () => {
    const r = sim.api.request('POST', `/_cluster/voting_config_exclusions/${iid(1)}`);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('no handler found');
    expect(sim.world.cluster.votingExclusions).toHaveLength(0);
  });
});
