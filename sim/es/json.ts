import { EsError, wildcardMatch as wildcard } from '../model/cluster';
import type { Json } from './context';

/** JSON helpers of the REST layer: body parsing, flat <-> nested settings, `filter_path`. */

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseBody(body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch (e) {
    throw new EsError(400, 'x_content_parse_exception', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

export function indexNotFound(name: string): EsError {
  return new EsError(404, 'index_not_found_exception', `no such index [${name}]`);
}

/** Flattens a settings object to dotted keys; arrays become comma lists; null removes. */
export function flatten(obj: Record<string, unknown>, prefix = ''): [string, string | null][] {
  const out: [string, string | null][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === null) out.push([key, null]);
    else if (Array.isArray(v)) out.push([key, v.map(String).join(',')]);
    else if (typeof v === 'object') out.push(...flatten(v as Record<string, unknown>, key));
    else out.push([key, String(v)]);
  }
  return out;
}

export function nest(entries: [string, string][]): Json {
  const root: Json = {};
  for (const [k, v] of entries) {
    const parts = k.split('.');
    let cur = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i];
      if (!isObject(cur[p])) cur[p] = {};
      cur = cur[p] as Json;
    }
    cur[parts[parts.length - 1]] = v;
  }
  return root;
}

/** Elasticsearch's `filter_path`: comma-separated dotted paths with `*` (one level) and `**` (any depth). */
export function filterPath(value: unknown, spec: string): unknown {
  const paths = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('-'))
    .map((s) => s.split('.'));
  if (paths.length === 0) return value;
  const r = filterNode(value, paths);
  return r === undefined ? {} : r;
}

export function filterNode(value: unknown, paths: string[][]): unknown {
  if (paths.some((p) => p.length === 0)) return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => filterNode(v, paths)).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (!isObject(value)) return undefined;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const next: string[][] = [];
    for (const p of paths) {
      if (p[0] === '**') {
        next.push(p);
        if (p.length > 1 && wildcard(p[1], k)) next.push(p.slice(2));
      } else if (wildcard(p[0], k)) next.push(p.slice(1));
    }
    if (next.length === 0) continue;
    const r = filterNode(v, next);
    if (r !== undefined) out[k] = r;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
