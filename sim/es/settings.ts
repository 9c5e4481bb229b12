import { Cluster, EsError } from '../model/cluster';
import { EsContext, isTrue, Json, Query } from './context';
import { flatten, isObject, nest } from './json';

/** Cluster settings (get/put), cluster state, reroute and `_count`. */

export function getSettings(ctx: EsContext, q: Query): Json {
  const flat = isTrue(q.get('flat_settings'));
  const shape = (m: ReadonlyMap<string, string> | Record<string, string>) => {
    const entries = m instanceof Map ? [...m.entries()] : Object.entries(m);
    entries.sort(([a], [b]) => a.localeCompare(b));
    return flat ? Object.fromEntries(entries) : nest(entries);
  };
  const out: Json = { persistent: shape(ctx.cluster.persistent), transient: shape(ctx.cluster.transient) };
  if (isTrue(q.get('include_defaults'))) {
    const d = Object.fromEntries(
      Object.entries(ctx.cluster.defaults).filter(
        ([k]) => !ctx.cluster.persistent.has(k) && !ctx.cluster.transient.has(k),
      ),
    );
    d['cluster.routing.allocation.exclude._name'] ??= '';
    out.defaults = shape(d);
  }
  return out;
}

export function putSettings(ctx: EsContext, q: Query, body: unknown): Json {
  if (!isObject(body))
    throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: no settings to update;');
  for (const k of Object.keys(body)) {
    if (k !== 'persistent' && k !== 'transient') {
      throw new EsError(
        400,
        'x_content_parse_exception',
        `[1:2] [cluster_update_settings_request] unknown field [${k}]`,
      );
    }
  }
  const updates: Record<'persistent' | 'transient', Map<string, string | null>> = {
    persistent: new Map(),
    transient: new Map(),
  };
  for (const scope of ['persistent', 'transient'] as const) {
    const v = body[scope];
    if (v === undefined) continue;
    if (!isObject(v)) throw new EsError(400, 'illegal_argument_exception', `[${scope}] must be an object`);
    for (const [k, val] of flatten(v)) {
      ctx.cluster.validateSetting(scope, k, val);
      updates[scope].set(k, val);
    }
  }
  if (updates.persistent.size === 0 && updates.transient.size === 0) {
    throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: no settings to update;');
  }
  for (const scope of ['persistent', 'transient'] as const) ctx.cluster.applySettings(scope, updates[scope]);
  const flat = isTrue(q.get('flat_settings'));
  const shown = (m: Map<string, string | null>) => {
    const entries = [...m.entries()].filter((e): e is [string, string] => e[1] !== null);
    return flat ? Object.fromEntries(entries) : nest(entries);
  };
  return { acknowledged: true, persistent: shown(updates.persistent), transient: shown(updates.transient) };
}

export function state(ctx: EsContext, metricsArg: string | undefined): Json {
  const metrics = new Set((metricsArg ?? '_all').split(','));
  const all = metrics.has('_all');
  const out: Json = { cluster_name: ctx.cluster.clusterName, cluster_uuid: ctx.cluster.clusterUuid };
  if (all || metrics.has('version')) {
    out.version = ctx.cluster.term * 10;
    out.state_uuid = ctx.cluster.clusterUuid;
  }
  if (all || metrics.has('master_node')) out.master_node = ctx.cluster.master?.id;
  if (all || metrics.has('nodes')) {
    out.nodes = Object.fromEntries(
      ctx.cluster.joinedNodes().map((n) => [
        n.id,
        {
          name: n.name,
          ephemeral_id: n.id.split('').reverse().join(''),
          transport_address: `${n.ip}:9300`,
          external_id: n.name,
          attributes: { aws_availability_zone: n.az },
          roles: [...n.roles].sort(),
          version: n.version,
          min_index_version: 7000099,
          max_index_version: 8525000,
        },
      ]),
    );
  }
  if (all || metrics.has('metadata')) {
    out.metadata = {
      cluster_uuid: ctx.cluster.clusterUuid,
      cluster_uuid_committed: true,
      cluster_coordination: {
        term: ctx.cluster.term,
        last_committed_config: [...ctx.cluster.votingConfig],
        last_accepted_config: [...ctx.cluster.votingConfig],
        voting_config_exclusions: ctx.cluster.votingExclusions.map((e) => ({ ...e })),
      },
      templates: {},
      indices: Object.fromEntries(
        ctx.cluster.indices.map((ix) => [
          ix.name,
          {
            version: 1,
            state: 'open',
            settings: {
              index: {
                number_of_shards: String(ix.shards.length),
                number_of_replicas: String(ix.replicas),
                uuid: ix.uuid,
                creation_date: String(Math.round(ctx.world.startEpochMs + ix.createdAt * 1000)),
                provided_name: ix.name,
                // index.routing.allocation.* written by an operator, ILM or an index-setting fault, nested.
                ...((nest([...ix.settings.entries()].filter(([k]) => k.startsWith('index.routing.'))) as Json).index as
                  Json | undefined),
              },
            },
          },
        ]),
      ),
    };
  }
  if (all || metrics.has('blocks')) out.blocks = {};
  return out;
}

export function reroute(ctx: EsContext, q: Query): Json {
  if (isTrue(q.get('retry_failed'))) {
    for (const s of ctx.cluster.allShards()) for (const c of s.copies) c.failedAttempts = 0;
  }
  ctx.cluster.reroute();
  return { acknowledged: true };
}

export function count(ctx: EsContext, indexExpr: string | undefined): Json {
  const indices = ctx.resolveIndices(indexExpr);
  const shards = indices.flatMap((i) => i.shards);
  const failed = shards.filter((s) => s.lost || !Cluster.isActive(ctx.cluster.primaryOf(s)));
  return {
    count: ctx.cluster.documentCount(indices),
    _shards: {
      total: shards.length,
      successful: shards.length - failed.length,
      skipped: 0,
      failed: failed.length,
      ...(failed.length > 0
        ? {
            failures: failed.slice(0, 10).map((s) => ({
              shard: s.num,
              index: s.index.name,
              reason: { type: 'no_shard_available_action_exception', reason: null },
            })),
          }
        : {}),
    },
  };
}
