import type { Client } from '@elastic/elasticsearch';
import {
  createSnapshot,
  listPreRollSnapshots,
  snapshotView,
} from '../../lambda/rolling-replacement/adapters/snapshots';

type Req = { method: string; path: string; querystring?: Record<string, unknown>; body?: unknown };

/** A client whose transport answers with `answer` and records the requests. */
function client(answer: (req: Req) => unknown): { client: Client; sent: Req[] } {
  const sent: Req[] = [];
  const c = {
    transport: {
      request: async (req: Req) => {
        sent.push(req);
        return answer(req);
      },
    },
  } as unknown as Client;
  return { client: c, sent };
}

describe('the snapshot calls of the Elasticsearch adapter', () => {
  test('lists the pre-roll snapshots of the repository and reads state and shard counts', async () => {
    const { client: c, sent } = client(() => ({
      snapshots: [
        { snapshot: 'pre-roll-r-1', state: 'PARTIAL', shards: { total: 10, successful: 8, failed: 2 }, reason: 'x' },
        { snapshot: 'pre-roll-r-2', state: 'IN_PROGRESS', shards: { total: 0, successful: 0, failed: 0 } },
      ],
    }));
    expect(await listPreRollSnapshots(c, 'elk-cdk')).toEqual([
      { name: 'pre-roll-r-1', state: 'PARTIAL', totalShards: 10, successfulShards: 8, failedShards: 2, reason: 'x' },
      { name: 'pre-roll-r-2', state: 'IN_PROGRESS', totalShards: 0, successfulShards: 0, failedShards: 0 },
    ]);
    expect(sent[0]).toMatchObject({ method: 'GET', path: '/_snapshot/elk-cdk/pre-roll-*' });
  });

  test('a snapshot without shard counts is read as zero shards, not as verified', () => {
    expect(snapshotView({ snapshot: 's', state: 'SUCCESS' })).toMatchObject({ totalShards: 0, failedShards: 0 });
  });

  test('creates without waiting for completion, with the cluster state', async () => {
    const { client: c, sent } = client(() => ({ statusCode: 200, body: { accepted: true } }));
    await createSnapshot(c, 'elk-cdk', 'pre-roll-r-1');
    expect(sent[0]).toMatchObject({
      method: 'PUT',
      path: '/_snapshot/elk-cdk/pre-roll-r-1',
      querystring: { wait_for_completion: false },
      body: { include_global_state: true },
    });
  });

  test('an existing snapshot of that name (a retry after a crash) is fine; any other 400 is an error', async () => {
    const exists = client(() => ({
      statusCode: 400,
      body: {
        error: { type: 'invalid_snapshot_name_exception', reason: '[elk-cdk:pre-roll-r-1] snapshot already exists' },
      },
    }));
    await expect(createSnapshot(exists.client, 'elk-cdk', 'pre-roll-r-1')).resolves.toBeUndefined();
    // Elasticsearch 8.7+ (SnapshotNameAlreadyInUseException), done or still running.
    for (const why of [
      'snapshot with the same name already exists',
      'snapshot with the same name is already in-progress',
    ]) {
      const inUse = client(() => ({
        statusCode: 400,
        body: {
          error: {
            type: 'snapshot_name_already_in_use_exception',
            reason: `[elk-cdk:pre-roll-r-1] Invalid snapshot name [pre-roll-r-1], ${why}`,
          },
        },
      }));
      await expect(createSnapshot(inUse.client, 'elk-cdk', 'pre-roll-r-1')).resolves.toBeUndefined();
    }
    const invalid = client(() => ({
      statusCode: 400,
      body: {
        error: {
          type: 'invalid_snapshot_name_exception',
          reason: '[elk-cdk:Pre] Invalid snapshot name [Pre], must be lowercase',
        },
      },
    }));
    await expect(createSnapshot(invalid.client, 'elk-cdk', 'Pre')).rejects.toThrow(/must be lowercase/);
    const bad = client(() => ({
      statusCode: 400,
      body: { error: { type: 'illegal_argument_exception', reason: 'bad body' } },
    }));
    await expect(createSnapshot(bad.client, 'elk-cdk', 'pre-roll-r-1')).rejects.toThrow(/illegal_argument_exception/);
  });
});
