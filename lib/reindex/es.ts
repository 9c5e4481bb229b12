import type { Client } from '@elastic/elasticsearch';
import {
  MARKER_KEY,
  type ReindexAction,
  type ReindexMarker,
  type ReindexObservation,
  type SourceIndex,
  type TaskObservation,
} from './types';

/**
 * The Elasticsearch side of `elkctl reindex`: observes one source index into a `ReindexObservation` and executes the
 * core's actions, with the official client (the same 8.19 client and headers as everything else). Thin: no
 * decision is taken here. Every request is short; the copy itself runs as a task and is only ever polled.
 */

type Json = Record<string, unknown>;

function status(e: unknown): number | undefined {
  return (e as { meta?: { statusCode?: number } }).meta?.statusCode;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (status(e) === 404) return undefined;
    throw e;
  }
}

export interface ObserveOptions {
  /** Seconds between the two indexing samples (only while the source is not write-blocked). */
  readonly quietSeconds: number;
  readonly sleep: (seconds: number) => Promise<void>;
}

export class ReindexEs {
  constructor(private readonly client: Client) {}

  /** The indices a pattern names, without the destinations of this reindex (`<name><suffix>`). */
  async matching(pattern: string, suffix: string): Promise<{ indices: string[]; aliases: string[] }> {
    const r = await this.client.indices.resolveIndex({ name: pattern, expand_wildcards: 'open' });
    const names = new Set(r.indices.map((i) => i.name));
    // After a swap the source's name is an alias of its destination.
    const swapped = r.aliases
      .filter((a) => a.indices.length === 1 && a.indices[0] === `${a.name}${suffix}`)
      .map((a) => a.name);
    const isCopy = (n: string) => {
      const base = n.slice(0, -suffix.length);
      return n.endsWith(suffix) && (names.has(base) || swapped.includes(base));
    };
    return { indices: [...names].filter((n) => !isCopy(n)).sort(), aliases: swapped };
  }

  async observe(source: string, dest: string, o: ObserveOptions): Promise<ReindexObservation> {
    const [src, dst] = await Promise.all([this.getIndex(source), this.getIndex(dest)]);
    const base = { source, dest };
    const destIndex = dst ? { marker: markerOf(dst.body) } : undefined;
    if (!src || src.name !== source) {
      const aliasOf = src ? Object.keys(src.all).sort() : undefined;
      return { ...base, sourceAliasOf: aliasOf, destIndex };
    }
    const sourceIndex = await this.sourceIndex(source, src.body, o);
    const marker = destIndex?.marker;
    const task = marker?.task ? await this.task(marker.task) : undefined;
    const unrecordedTask = destIndex ? await this.runningInto(source, dest) : undefined;
    return { ...base, sourceIndex, destIndex, task, unrecordedTask };
  }

  /** `GET /<name>`: the concrete index of that name, or the indices of the alias of that name. */
  private async getIndex(name: string): Promise<{ name: string; body: Json; all: Json } | undefined> {
    const r = (await orUndefined(this.client.indices.get({ index: name }))) as Json | undefined;
    if (!r) return undefined;
    const own = r[name] as Json | undefined;
    const first = Object.keys(r)[0]!;
    return own ? { name, body: own, all: r } : { name: first, body: r[first] as Json, all: r };
  }

  private async sourceIndex(name: string, body: Json, o: ObserveOptions): Promise<SourceIndex> {
    const settings = ((body.settings as Json | undefined)?.index ?? {}) as Json;
    const blocks = (settings.blocks ?? {}) as Json;
    const writeBlocked = String(blocks.write) === 'true';
    const aliasNames = Object.keys((body.aliases ?? {}) as Json);
    const aliases = await Promise.all(
      aliasNames.map(async (a) => {
        const own = ((body.aliases as Json)[a] ?? {}) as Json;
        if (own.is_write_index === true) return { name: a, writeIndex: true };
        if (own.is_write_index === false) return { name: a, writeIndex: false };
        // Without is_write_index, an alias of exactly one index writes into it.
        const all = (await this.client.indices.getAlias({ name: a })) as Json;
        const explicit = Object.values(all).some(
          (v) =>
            ((v as Json).aliases as Json)?.[a] && (((v as Json).aliases as Json)[a] as Json).is_write_index === true,
        );
        return { name: a, writeIndex: !explicit && Object.keys(all).length === 1 };
      }),
    );
    const dataStream = typeof body.data_stream === 'string' ? body.data_stream : undefined;
    let indexing: SourceIndex['indexing'];
    if (!writeBlocked) {
      const before = await this.indexTotal(name);
      await o.sleep(o.quietSeconds);
      indexing = { before, after: await this.indexTotal(name), seconds: o.quietSeconds };
    }
    const lifecycle = (settings.lifecycle ?? {}) as Json;
    const origin = Number(lifecycle.origination_date ?? settings.creation_date);
    const originationMs = Number.isFinite(origin) && origin > 0 ? origin : undefined;
    return { uuid: String(settings.uuid), writeBlocked, aliases, dataStream, indexing, originationMs };
  }

  private async indexTotal(name: string): Promise<number> {
    const r = await this.client.indices.stats({ index: name, metric: 'indexing' });
    return r.indices?.[name]?.primaries?.indexing?.index_total ?? 0;
  }

  private async task(id: string): Promise<TaskObservation> {
    const r = await orUndefined(this.client.tasks.get({ task_id: id }));
    if (!r) return { id, state: 'missing' };
    const st = (r.task.status ?? {}) as Json;
    if (!r.completed)
      return {
        id,
        state: 'running',
        total: num(st.total),
        done: num(st.created) + num(st.updated) + num(st.version_conflicts),
      };
    const res = (r.response ?? {}) as Json;
    const failures = ((res.failures as Json[] | undefined) ?? []).map(failureLine);
    if (r.error) failures.push(`${r.error.type}: ${r.error.reason ?? ''}`);
    return {
      id,
      state: 'completed',
      total: num(res.total),
      created: num(res.created),
      versionConflicts: num(res.version_conflicts),
      failures,
      timedOut: res.timed_out === true,
    };
  }

  /** A running reindex into `dest` (found by its description), for a crash between starting it and recording it. */
  private async runningInto(source: string, dest: string): Promise<string | undefined> {
    const r = await this.client.tasks.list({ actions: '*reindex', detailed: true, group_by: 'none' });
    const list = Array.isArray(r.tasks) ? r.tasks : Object.values(r.tasks ?? {});
    const mine = list.find((t) => t.description === `reindex from [${source}] to [${dest}]` && !t.parent_task_id);
    return mine ? `${mine.node}:${mine.id}` : undefined;
  }

  /** Refreshes both and counts; samples `sample` source ids and looks them up in the destination. */
  async verify(
    source: string,
    dest: string,
    sample: number,
    seed: number,
  ): Promise<Omit<import('./types').Verification, 'mismatches'>> {
    await this.client.indices.refresh({ index: `${source},${dest}` });
    const [s, d] = await Promise.all([this.client.count({ index: source }), this.client.count({ index: dest })]);
    const hits = await this.client.search({
      index: source,
      size: sample,
      _source: false,
      query: { function_score: { functions: [{ random_score: { seed, field: '_seq_no' } }] } },
    });
    const ids = hits.hits.hits.map((h) => h._id!).filter((id) => id !== undefined);
    const found = ids.length > 0 ? await this.client.mget({ index: dest, ids, _source: false }) : { docs: [] };
    const missing = found.docs.filter((x) => !('found' in x) || !x.found).map((x) => x._id);
    return { sourceCount: s.count, destCount: d.count, missingIds: missing, sampled: ids.length };
  }

  async execute(o: ReindexObservation, a: ReindexAction, opts: { slices: string }): Promise<string | undefined> {
    switch (a.type) {
      case 'block-writes':
        await this.client.indices.putSettings({ index: o.source, settings: { 'index.blocks.write': true } });
        return undefined;
      case 'create-dest':
        // The current index template for the name decides the settings; only ILM's clock is carried over.
        await this.client.indices.create({
          index: o.dest,
          mappings: { _meta: { [MARKER_KEY]: a.marker } },
          ...(a.originationMs !== undefined
            ? { settings: { 'index.lifecycle.origination_date': a.originationMs } }
            : {}),
        });
        return undefined;
      case 'start-reindex': {
        // What was indexed before the write block becomes visible to the scroll.
        await this.client.indices.refresh({ index: o.source });
        const r = await this.client.reindex(
          {
            wait_for_completion: false,
            slices: opts.slices === 'auto' ? 'auto' : Number(opts.slices),
            conflicts: 'proceed',
            source: { index: o.source, size: 1000 },
            dest: { index: o.dest, op_type: 'create' },
          },
          // A retried POST could start a second task; the next observation finds a lost answer's task instead.
          { maxRetries: 0 },
        );
        return String(r.task);
      }
      case 'record-task':
        await this.client.indices.putMapping({ index: o.dest, _meta: { [MARKER_KEY]: a.marker } });
        return undefined;
      case 'swap':
        await this.client.indices.updateAliases(
          {
            actions: [
              { remove_index: { index: o.source } },
              { add: { index: o.dest, alias: o.source } },
              ...a.aliases.map((x) => ({ add: { index: o.dest, alias: x.name } })),
            ],
          },
          { maxRetries: 0 },
        );
        return undefined;
      default:
        return undefined;
    }
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function failureLine(f: Json): string {
  const cause = (f.cause ?? f.reason ?? {}) as Json;
  return `${String(cause.type ?? 'failure')}${f.id ? ` on ${String(f.id)}` : ''}: ${String(cause.reason ?? '')}`;
}

function markerOf(body: Json): ReindexMarker | undefined {
  const meta = ((body.mappings as Json | undefined)?._meta ?? {}) as Json;
  const m = meta[MARKER_KEY] as Json | undefined;
  if (!m || typeof m.source !== 'string' || typeof m.sourceUuid !== 'string') return undefined;
  return {
    source: m.source,
    sourceUuid: m.sourceUuid,
    task: typeof m.task === 'string' ? m.task : undefined,
    attempt: typeof m.attempt === 'number' ? m.attempt : 1,
  };
}
