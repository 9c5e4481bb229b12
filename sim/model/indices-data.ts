import type { Index } from './cluster';
import { IdSet, type Piece, piecesSize } from './id-set';

/**
 * What the cluster model (cluster.ts) does not keep about an index: which document ids it holds, when they were
 * indexed (for refresh visibility and the `count-lag` fault), its indexing total (`_stats`), its mapping `_meta`,
 * and its aliases. Keyed by the Index object, so a deleted index takes its data with it. The document counts of
 * `_count` stay the cluster model's (shards, lost primaries); the ids answer `_mget`, `_search` samples and the
 * reindex tests' "documents lost".
 *
 * Simplification: ids are not placed on shards, so a lost primary lowers `_count` but `_mget` still finds its ids.
 */

/** Elasticsearch's default `index.refresh_interval`: a document is searchable at most this long after indexing. */
export const REFRESH_INTERVAL_SECONDS = 1;

export interface AliasEntry {
  readonly isWriteIndex?: boolean;
}

export interface IndexData {
  readonly ids: IdSet;
  /** Documents indexed, newest last (time and ids), for what a search sees. */
  readonly batches: { readonly t: number; readonly pieces: readonly Piece[] }[];
  /** Primaries' indexing.index_total. */
  indexTotal: number;
  /** Time of the last `_refresh`. */
  refreshedAt: number;
  /** The mapping's `_meta`. */
  meta?: Record<string, unknown>;
  readonly aliases: Map<string, AliasEntry>;
  /** Next number of write-load documents (`<index>~w#<n>`). */
  nextWrite: number;
}

const DATA = new WeakMap<Index, IndexData>();

/** The index's data; an index the scenario created holds `<name>#0` … `<name>#<docs-1>`. */
export function dataOf(index: Index, docsAtStart = index.docs): IndexData {
  let d = DATA.get(index);
  if (!d) {
    d = {
      ids: IdSet.of([{ origin: index.name, from: 0, to: docsAtStart }]),
      batches: [],
      indexTotal: 0,
      refreshedAt: -Infinity,
      aliases: new Map(),
      nextWrite: 0,
    };
    DATA.set(index, d);
  }
  return d;
}

/** An index created through the API: no documents. */
export function initEmpty(index: Index): IndexData {
  return dataOf(index, 0);
}

/** Documents acknowledged by the cluster model (`Cluster.write`) for a write-load fault. */
export function recordWrites(index: Index, acked: number, now: number): void {
  if (acked <= 0) return;
  const d = dataOf(index, index.docs - acked);
  const piece = { origin: `${index.name}~w`, from: d.nextWrite, to: d.nextWrite + acked };
  d.nextWrite += acked;
  addDocs(d, [piece], now);
}

/** Adds indexed documents (ids already present are overwritten: the set does not grow). */
export function addDocs(d: IndexData, pieces: readonly Piece[], now: number): void {
  const fresh = d.ids.without(pieces);
  for (const p of pieces) d.ids.add(p);
  d.indexTotal += piecesSize(pieces);
  if (fresh.length > 0) d.batches.push({ t: now, pieces: fresh });
  // Only what is still within the longest lag anyone asks about is kept.
  while (d.batches.length > 1000) d.batches.shift();
}

/**
 * Ids indexed after `cutoff` that a search does not see: not refreshed yet (newer than the last refresh and than
 * one refresh interval), or inside a `count-lag` fault's lag.
 */
export function invisibleCount(d: IndexData, now: number, lagSeconds: number): number {
  const refreshCut = Math.max(d.refreshedAt, now - REFRESH_INTERVAL_SECONDS);
  const cut = Math.min(refreshCut, now - lagSeconds);
  let n = 0;
  for (const b of d.batches) if (b.t > cut) n += piecesSize(b.pieces);
  return n;
}

/** The ids a search (or a reindex's scroll) started now would see. */
export function visibleIds(d: IndexData, now: number, lagSeconds: number): IdSet {
  const refreshCut = Math.max(d.refreshedAt, now - REFRESH_INTERVAL_SECONDS);
  const cut = Math.min(refreshCut, now - lagSeconds);
  const hidden = d.batches.filter((b) => b.t > cut).flatMap((b) => b.pieces);
  if (hidden.length === 0) return d.ids.clone();
  const hiddenSet = IdSet.of(hidden);
  return IdSet.of(hiddenSet.without(d.ids.pieces()));
}
