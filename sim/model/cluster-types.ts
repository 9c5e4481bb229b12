/** The simulated cluster's data: nodes, indices, shard copies, recoveries, decider verdicts; shared helpers. */

export type NodeState = 'pending' | 'booting' | 'joined' | 'leaving' | 'gone';
export type Role = 'master' | 'data';

export interface EsNode {
  /** Node name = EC2 instance id. */
  readonly name: string;
  /** Elasticsearch node id (random, 22 characters). */
  readonly id: string;
  readonly ip: string;
  readonly roles: readonly string[];
  readonly group: Role;
  readonly version: string;
  readonly az: string;
  readonly diskTotal: number;
  state: NodeState;
  startedAt: number;
  joinedAt?: number;
  /** Set while the node has booted but may not join (no master, or the version join rule). */
  joinBlocked?: string;
  /** The process is dead but the master has not noticed yet (failure detection): still in the cluster state. */
  dead?: boolean;
}

/** Seconds after index creation during which a replica's first allocation copies no bytes (see startAllocation). */
export const NEW_INDEX_REPLICA_WINDOW_SECONDS = 60;

export type CopyState = 'UNASSIGNED' | 'INITIALIZING' | 'STARTED' | 'RELOCATING';

export interface UnassignedInfo {
  reason: string;
  at: number;
  delayedUntil?: number;
  failedAttempts: number;
  details?: string;
  lastStatus: string;
  /** Set when every allocation was refused by node_version alone (the documented rolling-upgrade yellow). */
  versionBlocked?: boolean;
}

export interface Recovery {
  readonly id: number;
  readonly shard: Shard;
  /** empty_store: a new primary; peer: a replica copying from its primary; relocation: a move (cat shows "peer"). */
  readonly type: 'empty_store' | 'existing_store' | 'peer' | 'relocation';
  source?: EsNode;
  readonly target: EsNode;
  readonly copy: Copy;
  /** Bytes to copy; grows while documents are written to the shard (operations to replay). */
  total: number;
  done: number;
  rate: number;
  readonly start: number;
  stop?: number;
  readonly rebalance: boolean;
}

export interface Copy {
  readonly shard: Shard;
  primary: boolean;
  state: CopyState;
  node?: EsNode;
  /** On a RELOCATING copy: where it is going (the target copy is INITIALIZING there). */
  relocatingTo?: EsNode;
  recovery?: Recovery;
  lastRecovery?: Recovery;
  unassigned?: UnassignedInfo;
  /** Counts failed allocation attempts (max_retry). */
  failedAttempts: number;
  /** Where the copy was allocated from (for a new primary: fresh). */
  allocationId: string;
  /**
   * An unassigned copy whose files are still on a node whose Elasticsearch process stopped (es-process-down): when
   * the node comes back, the copy is recovered there from its own store (a primary) or by replaying the operations
   * written since (a replica), instead of copying the shard.
   */
  dataOn?: EsNode;
  /** The shard's `writtenBytes` when the copy's data was left on `dataOn`. */
  dataWrittenAt?: number;
}

export interface Shard {
  readonly index: Index;
  readonly num: number;
  docs: number;
  bytes: number;
  /** Bytes indexed since the start (write-load); a stale copy replays what was written after it left. */
  writtenBytes: number;
  /** copies[0] is the primary slot at creation; promotion swaps the `primary` flag. */
  readonly copies: Copy[];
  lost: boolean;
}

export interface Index {
  readonly name: string;
  readonly uuid: string;
  readonly shards: Shard[];
  readonly replicas: number;
  readonly createdAt: number;
  docs: number;
  bytes: number;
  /** Index settings written through the API or an index-setting fault (index.routing.allocation.* and a few more). */
  readonly settings: Map<string, string>;
}

export interface DeciderResult {
  readonly decider: string;
  readonly decision: 'YES' | 'NO' | 'THROTTLE';
  readonly explanation: string;
}

export type HealthStatus = 'green' | 'yellow' | 'red';

export interface ClusterHost {
  now(): number;
  /** Ask the world to call `cluster.onTimer(kind)` at `time`. */
  schedule(time: number, kind: 'reroute' | 'election'): void;
  /** A notable world event for the report (e.g. a primary lost). */
  note(action: string, node: string | undefined, reason: string): void;
  token(): string;
  /** ISO-8601 wall time of a virtual second. */
  isoTime(t: number): string;
  /** snapshot_in_progress: whether the shard's snapshot runs on `node` now (absent: no snapshots). */
  snapshotting?(index: string, shard: number, node: string): boolean;
}

/** Thrown for a request the cluster refuses; the HTTP face turns it into an Elasticsearch error body. */
export class EsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(reason);
  }
}

export interface NodeLoad {
  shards: number;
  perIndex: Map<Index, number>;
  used: number;
}

export function worst(statuses: HealthStatus[]): HealthStatus {
  if (statuses.includes('red')) return 'red';
  if (statuses.includes('yellow')) return 'yellow';
  return 'green';
}

/** Elasticsearch simple wildcard match (`*` only). */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(value);
}

/** The index-level `filter` refusal (index.routing.allocation.require/include/exclude), or undefined. */
export function indexFilterRefusal(node: EsNode, index: Index): string | undefined {
  const values = (attr: string) =>
    attr === '_name' ? [node.name] : attr === '_id' ? [node.id] : attr === '_host' ? [node.ip, node.name] : [node.ip];
  const filters = (kind: string): [string, string[]][] => {
    const out: [string, string[]][] = [];
    const prefix = `index.routing.allocation.${kind}.`;
    for (const [k, v] of index.settings) {
      if (!k.startsWith(prefix)) continue;
      const patterns = v
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0);
      if (patterns.length > 0) out.push([k.slice(prefix.length), patterns]);
    }
    return out;
  };
  const matches = (attr: string, patterns: string[]) =>
    patterns.find((p) => values(attr).some((v) => wildcardMatch(p, v)));
  const show = (attr: string, patterns: string[]) => `${attr}:"${patterns.join(',')}"`;
  for (const [attr, patterns] of filters('require')) {
    if (!matches(attr, patterns))
      return `node does not match index setting [index.routing.allocation.require] filters [${show(attr, patterns)}]`;
  }
  const include = filters('include');
  if (include.length > 0 && !include.some(([a, p]) => matches(a, p))) {
    return `node does not match index setting [index.routing.allocation.include] filters [${include.map(([a, p]) => show(a, p)).join(' OR ')}]`;
  }
  for (const [attr, patterns] of filters('exclude')) {
    const hit = matches(attr, patterns);
    if (hit) return `node matches index setting [index.routing.allocation.exclude] filters [${attr}:"${hit}"]`;
  }
  return undefined;
}
