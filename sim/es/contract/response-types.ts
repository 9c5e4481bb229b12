import type * as T from '@elastic/elasticsearch/lib/api/types';
import type { ClusterStateResponse } from './cluster-state';
import type { SnapshotStatusResponse } from './snapshot-status';

/**
 * The official client's response types of the endpoints the orchestrator's Elasticsearch adapter, the stack's setup and
 * `elkctl reindex` call, and of the other JSON answers the simulator serves (`_search` and `GET /<index>` are left out: their types, with every aggregation and mapping type, would
 * multiply the schema's size). The JSON
 * schema next to this file is generated from them (`npm run gen:sim-schemas`, ts-json-schema-generator); the
 * simulator's answers are checked against it during end-to-end runs (sim/es/contract/check.ts).
 */
export interface SimResponses {
  'cluster.health': T.ClusterHealthResponse;
  'nodes.info': T.NodesInfoResponse;
  'cat.nodes': T.CatNodesResponse;
  'cat.allocation': T.CatAllocationResponse;
  'cat.shards': T.CatShardsResponse;
  'cluster.get_settings': T.ClusterGetSettingsResponse;
  'cluster.put_settings': T.ClusterPutSettingsResponse;
  'cluster.allocation_explain': T.ClusterAllocationExplainResponse;
  'tasks.list': T.TasksListResponse;
  // Typed `any` by the client and `UserDefinedValue` by the REST specification: written from Elasticsearch's source.
  'cluster.state': ClusterStateResponse;
  // The client's type plus three keys Elasticsearch writes and the REST specification omits (snapshot-status.ts).
  'snapshot.status': SnapshotStatusResponse;
  // Served, read by no strategy today: `GET /`, the other `_cat` APIs (JSON), `_flush`, `_cluster/reroute`.
  info: T.InfoResponse;
  'cat.recovery': T.CatRecoveryResponse;
  'cat.indices': T.CatIndicesResponse;
  'cat.health': T.CatHealthResponse;
  'indices.flush': T.IndicesFlushResponse;
  'cluster.reroute': T.ClusterRerouteResponse;
  // rollout.snapshotBeforeRoll (adapters/snapshots.ts) and the stack's setup (lambda/index-management/cluster.ts)
  'snapshot.get': T.SnapshotGetResponse;
  'snapshot.create': T.SnapshotCreateResponse;
  'snapshot.create_repository': T.SnapshotCreateRepositoryResponse;
  'slm.put_lifecycle': T.SlmPutLifecycleResponse;
  // elkctl reindex (lib/reindex/es.ts)
  'tasks.get': T.TasksGetResponse;
  reindex: T.ReindexResponse;
  count: T.CountResponse;
  mget: T.MgetResponse;
  'indices.create': T.IndicesCreateResponse;
  'indices.delete': T.IndicesDeleteResponse;
  'indices.put_settings': T.IndicesPutSettingsResponse;
  'indices.put_mapping': T.IndicesPutMappingResponse;
  'indices.refresh': T.IndicesRefreshResponse;
  'indices.stats': T.IndicesStatsResponse;
  'indices.resolve_index': T.IndicesResolveIndexResponse;
  'indices.update_aliases': T.IndicesUpdateAliasesResponse;
  'indices.get_alias': T.IndicesGetAliasResponse;
}
