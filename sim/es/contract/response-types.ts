import type * as T from '@elastic/elasticsearch/lib/api/types';

/**
 * The official client's response types of the endpoints the orchestrator's Elasticsearch adapter reads. The JSON
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
}
