import { EsError } from '../model/cluster';
import type { Cluster, EsNode, Index } from '../model/cluster';
import type { World } from '../model/world';

/** What the REST API families (health.ts, nodes.ts, voting.ts, …) need from the router (api.ts), and shared helpers. */

export type Query = URLSearchParams;
export type Json = Record<string, unknown>;

export const PRIORITIES = ['immediate', 'urgent', 'high', 'normal', 'low', 'languid'];
export const BUILD_HASH = 'a4f2f1b7c3d5e6f708192a3b4c5d6e7f80918273';

export interface EsContext {
  readonly world: World;
  readonly cluster: Cluster;
  /** The node answering REST calls. */
  coordinatingNode(): EsNode | undefined;
  /** Throws 503 master_not_discovered_exception without a (live) elected master. */
  requireMaster(): void;
  /** Indices named by an expression (names, wildcards, comma lists); throws 404 for a missing concrete name. */
  resolveIndices(expr: string | undefined): Index[];
  /** HTTP status of ElasticsearchTimeoutException on the answering node (500 on 8.x, 429 on 9.x). */
  timeoutStatus(): number;
}

export function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}

export function isTrue(v: string | null): boolean {
  return v !== null && v !== 'false';
}

/** `wait_for_nodes`: "N", ">=N", "<=N", ">N", "<N", "ge(N)", "le(N)", "gt(N)", "lt(N)". */
export function compareCount(actual: number, expr: string): boolean {
  const m = /^(>=|<=|>|<|ge\(|le\(|gt\(|lt\()?\s*(\d+)\)?$/.exec(expr.trim());
  if (!m) throw new EsError(400, 'illegal_argument_exception', `failed to parse [wait_for_nodes] value [${expr}]`);
  const n = Number(m[2]);
  switch (m[1]) {
    case '>=':
    case 'ge(':
      return actual >= n;
    case '<=':
    case 'le(':
      return actual <= n;
    case '>':
    case 'gt(':
      return actual > n;
    case '<':
    case 'lt(':
      return actual < n;
    default:
      return actual === n;
  }
}
