/**
 * Elasticsearch adapter of the rolling replacement: builds the core's EsView from the REST API and writes the few
 * settings the orchestrator owns. Takes an @elastic/elasticsearch Client (the production handler builds it with
 * lambda/shared/es-client.ts; tests pass a plain client to the simulator on 127.0.0.1).
 *
 * Endpoints: GET _cluster/health (wait_for_events=languid), _nodes, _cat/nodes, _cat/allocation, _cat/shards,
 * _cluster/settings, _cluster/state/metadata, _tasks (long-running actions only),
 * _snapshot/_status (running snapshots: shards on a node to be terminated); POST _cluster/allocation/explain; PUT _cluster/settings;
 * POST/DELETE _cluster/voting_config_exclusions; with rollout.snapshotBeforeRoll GET _snapshot/<repo>/pre-roll-* and
 * PUT _snapshot/<repo>/<snapshot> (snapshots.ts). Transient failures (timeouts, connection errors, 503, 5xx, 408
 * outside health) become Unknown, never an exception the caller has to classify.
 */
import type { Client } from '@elastic/elasticsearch';
import type { EsPort } from '../core/es-port';
import { IN_FLIGHT_TASK_ACTIONS } from '../core/in-flight-tasks';
import { versionBlockedByLayout } from '../core/layout';
import { explainStuck, indexRoutingOf } from './stuck-copies';
import type {
  ClusterHealthView,
  EsNodeView,
  EsSnapshotShardView,
  EsTaskView,
  EsView,
  NodeDecision,
  ShardCopy,
  ShardState,
  SnapshotView,
  UnassignedExplanation,
  Unknown,
} from '../core/types';
import { createSnapshot, listPreRollSnapshots } from './snapshots';

const EXCLUDE_KEY = 'cluster.routing.allocation.exclude._name';
const REBALANCE_KEY = 'cluster.routing.rebalance.enable';
const ALLOCATION_ENABLE_KEY = 'cluster.routing.allocation.enable';
const LOW_WATERMARK_KEY = 'cluster.routing.allocation.disk.watermark.low';

export interface ElasticsearchAdapterOptions {
  /** Most unassigned shard copies explained per observation (one POST each). @default 20 */
  readonly maxExplanations?: number;
  /** Server-side timeout of the languid health wait. @default "5s" */
  readonly healthTimeout?: string;
  /**
   * Server-side timeout of POST _cluster/voting_config_exclusions, in seconds; the client waits 10 s longer and does
   * not retry, so the server's answer (success, or a timeout while the exclusion stays) always arrives. @default 20
   */
  readonly votingExclusionTimeoutSeconds?: number;
}

interface CallOptions {
  readonly ignore?: number[];
  readonly requestTimeout?: number;
  readonly maxRetries?: number;
}

type Json = Record<string, unknown>;

/** Flattens nested settings ({cluster:{routing:{...}}}) into dotted keys; flat keys pass through. */
export function flattenSettings(obj: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (obj === null || obj === undefined) return out;
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    out[prefix] = Array.isArray(obj) ? obj.join(',') : String(obj);
    return out;
  }
  for (const [k, v] of Object.entries(obj as Json)) flattenSettings(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}

function parseWatermark(v: string | undefined): number {
  if (!v) return 0.85;
  const m = /^\s*([\d.]+)\s*%\s*$/.exec(v);
  if (m) return Number(m[1]) / 100;
  const r = Number(v);
  return Number.isFinite(r) && r > 0 && r <= 1 ? r : 0.85;
}

function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Whether an error from the client is transient (wait) rather than a bug. */
export function transientError(e: unknown): string {
  const err = e as { name?: string; message?: string; meta?: { statusCode?: number } };
  const status = err?.meta?.statusCode;
  return `${err?.name ?? 'Error'}${status ? ` ${status}` : ''}: ${err?.message ?? String(e)}`;
}

export class ElasticsearchAdapter implements EsPort {
  /** Requests sent (for the benchmark's requests-per-node figure). */
  requests = 0;
  private readonly maxExplanations: number;
  private readonly healthTimeout: string;
  private readonly votingTimeout: number;

  constructor(
    private readonly client: Client,
    options: ElasticsearchAdapterOptions = {},
  ) {
    this.maxExplanations = options.maxExplanations ?? 20;
    this.healthTimeout = options.healthTimeout ?? '5s';
    this.votingTimeout = options.votingExclusionTimeoutSeconds ?? 20;
  }

  private async call<T = Json>(
    method: string,
    path: string,
    querystring?: Record<string, string | boolean>,
    body?: Json,
    options: CallOptions = {},
  ): Promise<T> {
    this.requests++;
    return (await this.client.transport.request(
      { method, path, ...(querystring ? { querystring } : {}), ...(body ? { body } : {}) },
      options,
    )) as T;
  }

  async observe(): Promise<EsView | Unknown> {
    try {
      return await this.observeOrThrow();
    } catch (e) {
      return { unknown: transientError(e) };
    }
  }

  private async observeOrThrow(): Promise<EsView> {
    // The health wait first: wait_for_events=languid returns once pending cluster-state work is done (408 = not yet).
    const h = await this.call<Json>(
      'GET',
      '/_cluster/health',
      { wait_for_events: 'languid', timeout: this.healthTimeout },
      undefined,
      { ignore: [408] },
    );
    const [nodesInfo, catNodes, allocation, catShards, settings, state, tasks, snapshots] = await Promise.all([
      this.call<Json>('GET', '/_nodes'),
      this.call<Json[]>('GET', '/_cat/nodes', { format: 'json', h: 'name,id,master,node.role', full_id: true }),
      this.call<Json[]>('GET', '/_cat/allocation', { format: 'json', bytes: 'b' }),
      this.call<Json[]>('GET', '/_cat/shards', { format: 'json', bytes: 'b' }),
      this.call<Json>('GET', '/_cluster/settings', { flat_settings: true, include_defaults: true }),
      // Only the few fields needed: a real cluster's metadata (mappings, templates) can be tens of MB.
      this.call<Json>('GET', '/_cluster/state/metadata,nodes', {
        filter_path: 'metadata.cluster_coordination,metadata.indices.*.settings.index.routing.allocation,nodes.*.name',
      }),
      this.call<Json>('GET', '/_tasks', {
        actions: IN_FLIGHT_TASK_ACTIONS.join(','),
        group_by: 'none',
        detailed: false,
      }),
      // Running snapshots only (no name): their shards run on the primaries' nodes (monitor_snapshot privilege).
      this.call<Json>('GET', '/_snapshot/_status'),
    ]);
    // A node that did not answer _nodes is missing from it, yet a member: the view would be wrong, so it is unknown.
    const failed = num((nodesInfo._nodes as Json | undefined)?.failed);
    if (failed > 0) throw new Error(`_nodes: ${failed} node(s) did not answer; membership unknown`);
    const health: ClusterHealthView = {
      status: (h.status as ClusterHealthView['status']) ?? 'red',
      timedOut: h.timed_out === true,
      numberOfNodes: num(h.number_of_nodes),
      numberOfDataNodes: num(h.number_of_data_nodes),
      relocatingShards: num(h.relocating_shards),
      initializingShards: num(h.initializing_shards),
      unassignedShards: num(h.unassigned_shards),
      delayedUnassignedShards: num(h.delayed_unassigned_shards),
      inFlightFetch: num(h.number_of_in_flight_fetch),
    };
    const disk = new Map<string, { used: number; total: number }>();
    for (const row of allocation ?? []) {
      const name = String(row.node ?? '');
      if (name && name !== 'UNASSIGNED' && row['disk.total'] !== undefined && row['disk.total'] !== null) {
        disk.set(name, { used: num(row['disk.used']), total: num(row['disk.total']) });
      }
    }
    const infos = (nodesInfo.nodes ?? {}) as Record<string, Json>;
    // Membership is the cluster state's: _nodes may still list a node that has left, or miss one that is slow.
    const members = (state.nodes ?? {}) as Record<string, Json>;
    const missing = Object.keys(members).filter((id) => !infos[id]);
    if (missing.length) throw new Error(`_nodes: no information for member ${missing[0]}; membership unknown`);
    const nodes: EsNodeView[] = Object.entries(infos).flatMap(([id, n]) => {
      if (!members[id]) return [];
      const name = String(n.name);
      const d = disk.get(name);
      return [
        {
          name,
          id,
          version: String(n.version),
          roles: (n.roles as string[] | undefined) ?? [],
          ...(d ? { diskUsedBytes: d.used, diskTotalBytes: d.total } : {}),
        },
      ];
    });
    const elected = (catNodes ?? []).find((r) => r.master === '*');
    const shards: ShardCopy[] = (catShards ?? []).map((r) => {
      const nodeText = r.node === null || r.node === undefined ? '' : String(r.node);
      // A relocating copy reads "source -> 10.0.0.2 <id> target".
      const [source, target] = nodeText.split('->').map((s) => s.trim());
      return {
        index: String(r.index),
        shard: num(r.shard),
        primary: r.prirep === 'p' || r.prirep === 'primary',
        state: String(r.state) as ShardState,
        ...(source ? { node: source } : {}),
        ...(target ? { relocatingTo: target.split(/\s+/).pop()! } : {}),
        bytes: num(r.store),
      };
    });
    const persistent = flattenSettings(settings.persistent);
    const transient = flattenSettings(settings.transient);
    const defaults = flattenSettings(settings.defaults);
    const coordination = (state.metadata as Json | undefined)?.cluster_coordination as Json | undefined;
    const exclusions = (coordination?.voting_config_exclusions as Json[] | undefined) ?? [];
    const committed = coordination?.last_committed_config as string[] | undefined;
    const nameOf = new Map(nodes.map((n) => [n.id, n.name]));
    const taskViews: EsTaskView[] = ((tasks.tasks as Json[] | undefined) ?? []).map((t) => ({
      id: `${String(t.node)}:${String(t.id)}`,
      // A task on a node that is not a member (it just left) keeps its id: it matches no node to terminate.
      node: nameOf.get(String(t.node)) ?? String(t.node),
      action: String(t.action),
      runningSeconds: num(t.running_time_in_nanos) / 1e9,
    }));
    const snapshotShards = snapshotShardViews(snapshots, nameOf);
    const view: EsView = {
      health,
      nodes,
      ...(elected ? { electedMaster: String(elected.name) } : {}),
      shards,
      explanations: [],
      allocationExcludeNames: splitList(transient[EXCLUDE_KEY] ?? persistent[EXCLUDE_KEY]),
      votingExclusions: exclusions.map((x) => String(x.node_name)),
      ...(committed ? { lastCommittedConfig: committed.map(String) } : {}),
      allocationEnable: persistent[ALLOCATION_ENABLE_KEY] ?? null,
      rebalanceEnable: {
        persistent: persistent[REBALANCE_KEY] ?? null,
        transient: transient[REBALANCE_KEY] ?? null,
      },
      lowWatermark: parseWatermark(
        transient[LOW_WATERMARK_KEY] ?? persistent[LOW_WATERMARK_KEY] ?? defaults[LOW_WATERMARK_KEY],
      ),
      tasks: taskViews,
      snapshotShards,
    };
    const routing = indexRoutingOf(state.metadata as Json | undefined, (o, prefix) => flattenSettings(o, prefix));
    const stuck = await explainStuck(view, routing, (body) =>
      this.call<Json>('POST', '/_cluster/allocation/explain', {}, body, { ignore: [400] }),
    );
    return { ...view, explanations: await this.explain(view, routing), stuck };
  }

  /**
   * Explains the unassigned copies the shard layout cannot settle (at most maxExplanations): replicas that are
   * version-blocked by the layout need no request, however many a rollover created (core/layout.ts).
   */
  private async explain(
    view: EsView,
    routing: ReadonlyMap<string, Record<string, string>>,
  ): Promise<UnassignedExplanation[]> {
    const seen = new Set<string>();
    const draining = new Set(view.allocationExcludeNames.filter((n) => /^i-[0-9a-z]+$/.test(n)));
    const wanted = view.shards.filter((s) => {
      const key = `${s.index}/${s.shard}/${s.primary}`;
      if (s.state !== 'UNASSIGNED' || seen.has(key)) return false;
      seen.add(key);
      return !versionBlockedByLayout(view, s, draining);
    });
    const out: UnassignedExplanation[] = [];
    for (const s of wanted.slice(0, this.maxExplanations)) {
      const r = await this.call<Json>(
        'POST',
        '/_cluster/allocation/explain',
        {},
        { index: s.index, shard: s.shard, primary: s.primary },
        { ignore: [400] },
      );
      if (r.can_allocate === undefined) continue; // 400: assigned meanwhile
      const decisions = (r.node_allocation_decisions as Json[] | undefined) ?? [];
      const ix = routing.get(s.index);
      out.push({
        index: s.index,
        shard: s.shard,
        primary: s.primary,
        canAllocate: String(r.can_allocate).toLowerCase(),
        ...((r.unassigned_info as Json | undefined)?.reason
          ? { reason: String((r.unassigned_info as Json).reason) }
          : {}),
        nodeDecisions: decisions.map((d): NodeDecision => ({
          nodeName: String(d.node_name),
          decision: String(d.node_decision ?? '').toLowerCase(),
          noDeciders: ((d.deciders as Json[] | undefined) ?? [])
            .filter((x) => String(x.decision).toUpperCase() === 'NO')
            .map((x) => String(x.decider)),
        })),
        // The index's own filters, so a diagnosis names the setting (recovery-stall.ts).
        ...(ix ? { indexRouting: ix } : {}),
      });
    }
    return out;
  }

  /** Reads the exclusion list at the level it lives (transient wins), so other entries are never overwritten. */
  private async writeExclusions(update: (names: string[]) => string[]): Promise<void> {
    const s = await this.call<Json>('GET', '/_cluster/settings', { flat_settings: true });
    const persistent = flattenSettings(s.persistent);
    const transient = flattenSettings(s.transient);
    const level = transient[EXCLUDE_KEY] !== undefined ? 'transient' : 'persistent';
    const next = update(splitList(level === 'transient' ? transient[EXCLUDE_KEY] : persistent[EXCLUDE_KEY]));
    await this.call('PUT', '/_cluster/settings', undefined, {
      [level]: { [EXCLUDE_KEY]: next.length ? next.join(',') : null },
    });
  }

  async addAllocationExclusion(node: string): Promise<void> {
    await this.writeExclusions((names) => (names.includes(node) ? names : [...names, node]));
  }

  async removeAllocationExclusions(nodes: readonly string[]): Promise<void> {
    await this.writeExclusions((names) => names.filter((n) => !nodes.includes(n)));
  }

  async setRebalanceEnable(value: string | null): Promise<void> {
    await this.call('PUT', '/_cluster/settings', undefined, { persistent: { [REBALANCE_KEY]: value } });
  }

  async setAllocationEnable(value: string | null): Promise<void> {
    await this.call('PUT', '/_cluster/settings', undefined, { persistent: { [ALLOCATION_ENABLE_KEY]: value } });
  }

  async addVotingExclusion(node: string): Promise<void> {
    // The server's timeout below the client's: a slow reconfiguration answers 408 (the exclusion stays) instead of
    // the client giving up first and not knowing. Terminating waits for last_committed_config anyway.
    await this.call(
      'POST',
      '/_cluster/voting_config_exclusions',
      { node_names: node, timeout: `${this.votingTimeout}s` },
      undefined,
      { requestTimeout: (this.votingTimeout + 10) * 1000, maxRetries: 0 },
    );
  }

  async listSnapshots(repository: string): Promise<SnapshotView[]> {
    this.requests++;
    return listPreRollSnapshots(this.client, repository);
  }

  async createSnapshot(repository: string, snapshot: string): Promise<void> {
    this.requests++;
    await createSnapshot(this.client, repository, snapshot);
  }

  async clearVotingExclusions(): Promise<void> {
    await this.call('DELETE', '/_cluster/voting_config_exclusions', { wait_for_removal: false });
  }
}

/** The shards of `GET _snapshot/_status` (running snapshots), with node names for node ids. */
function snapshotShardViews(status: Json, nameOf: ReadonlyMap<string, string>): EsSnapshotShardView[] {
  const out: EsSnapshotShardView[] = [];
  for (const snap of (status.snapshots as Json[] | undefined) ?? []) {
    for (const [index, ix] of Object.entries((snap.indices ?? {}) as Record<string, Json>)) {
      for (const [shard, s] of Object.entries((ix.shards ?? {}) as Record<string, Json>)) {
        if (s.node === undefined || s.node === null) continue;
        const stats = (s.stats ?? {}) as Json;
        out.push({
          repository: String(snap.repository),
          snapshot: String(snap.snapshot),
          index,
          shard: Number(shard),
          node: nameOf.get(String(s.node)) ?? String(s.node),
          stage: String(s.stage),
          runningSeconds: num(stats.time_in_millis) / 1000,
        });
      }
    }
  }
  return out;
}
