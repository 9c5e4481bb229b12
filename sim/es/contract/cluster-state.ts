/**
 * `GET /_cluster/state[/<metrics>]`: the official client types the answer `any` and the REST specification
 * (`specification/cluster/state/ClusterStateResponse.ts`) `UserDefinedValue` ("no guarantees on the output"). This
 * type is what Elasticsearch 8.19 writes for the parts the simulator serves, written from its source, so the answer
 * can be checked like the others (the schema is generated from it with the client's types, `npm run gen:sim-schemas`):
 * `ClusterState.toXContentChunked` (top level, by metric), `DiscoveryNode.toXContent` (`nodes`),
 * `Metadata.toXContentChunked` (`metadata`), `CoordinationMetadata.toXContent` and `VotingConfigExclusion`
 * (`metadata.cluster_coordination`), `IndexMetadata.toXContent` (`metadata.indices`, settings nested unless
 * `flat_settings`). Only `cluster_name` and `cluster_uuid` are always there; the metrics choose the other parts (an
 * answer trimmed by `filter_path` is checked with nothing required, sim/es/contract/check.ts).
 */

/** Settings as Elasticsearch writes them: every value a string (a list: strings), nested by dots. */
export interface SettingsTree {
  [key: string]: string | string[] | SettingsTree;
}

export interface ClusterStateNode {
  name?: string;
  ephemeral_id?: string;
  transport_address?: string;
  external_id?: string;
  attributes?: Record<string, string>;
  roles?: string[];
  version?: string;
  min_index_version?: number;
  max_index_version?: number;
}

export interface VotingConfigExclusion {
  node_id: string;
  node_name: string;
}

export interface CoordinationMetadata {
  term?: number;
  last_committed_config?: string[];
  last_accepted_config?: string[];
  voting_config_exclusions?: VotingConfigExclusion[];
}

export interface ClusterStateIndexMetadata {
  version?: number;
  mapping_version?: number;
  settings_version?: number;
  aliases_version?: number;
  routing_num_shards?: number;
  state?: 'open' | 'close';
  settings?: SettingsTree;
  mappings?: Record<string, unknown>;
  aliases?: string[];
  primary_terms?: Record<string, number>;
  in_sync_allocations?: Record<string, string[]>;
  rollover_info?: Record<string, unknown>;
  system?: boolean;
  timestamp_range?: Record<string, unknown>;
}

export interface ClusterStateMetadata {
  cluster_uuid?: string;
  cluster_uuid_committed?: boolean;
  cluster_coordination?: CoordinationMetadata;
  templates?: Record<string, unknown>;
  indices?: Record<string, ClusterStateIndexMetadata>;
  'index-graveyard'?: Record<string, unknown>;
}

export interface ClusterStateResponse {
  cluster_name: string;
  cluster_uuid: string;
  version?: number;
  state_uuid?: string;
  master_node?: string;
  blocks?: Record<string, unknown>;
  nodes?: Record<string, ClusterStateNode>;
  metadata?: ClusterStateMetadata;
  routing_table?: Record<string, unknown>;
  routing_nodes?: Record<string, unknown>;
}
