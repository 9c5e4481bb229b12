/**
 * The Elasticsearch side of index management behind a narrow port: read what exists for a list of names, send one
 * request. The Lambda implements it with the official client; tests with a fake.
 */
import type { Client } from '@elastic/elasticsearch';
import { CurrentDefinition, DefinitionKind, IndexRequest, apiPath } from './core';

export interface SendResult {
  /** HTTP status; undefined for a connection error or timeout. */
  readonly status?: number;
  /** Elasticsearch's error reason (never a request body). */
  readonly reason: string;
}

/** What `send` needs of a request: index definitions and cluster requests alike. */
export type SendRequest = Pick<IndexRequest, 'method' | 'path' | 'body'>;

export interface IndexPort {
  /** What exists for these names of one kind (absent names are missing from the map). */
  read(kind: DefinitionKind, names: readonly string[]): Promise<Map<string, CurrentDefinition>>;
  send(req: SendRequest): Promise<SendResult>;
}

type Obj = Record<string, unknown>;

/** `_meta` of a definition in the GET answer of its API. */
export function metaFromAnswer(kind: DefinitionKind, name: string, body: unknown): CurrentDefinition | undefined {
  const b = (body ?? {}) as Obj;
  if (kind === 'ilm-policy') {
    const entry = b[name] as { policy?: { _meta?: Obj } } | undefined;
    return entry ? { meta: entry.policy?._meta } : undefined;
  }
  const list = (kind === 'component-template' ? b.component_templates : b.index_templates) as Obj[] | undefined;
  const entry = list?.find((e) => e.name === name);
  if (!entry) return undefined;
  const def = (kind === 'component-template' ? entry.component_template : entry.index_template) as Obj | undefined;
  return { meta: def?._meta as Obj | undefined };
}

export function clientPort(es: Client): IndexPort {
  return {
    async read(kind, names) {
      const out = new Map<string, CurrentDefinition>();
      for (const name of names) {
        const res = await es.transport.request(
          { method: 'GET', path: apiPath(kind, name) },
          { ignore: [404], meta: true },
        );
        if (res.statusCode === 404) continue;
        const found = metaFromAnswer(kind, name, res.body);
        if (found) out.set(name, found);
      }
      return out;
    },
    async send(req) {
      try {
        const res = await es.transport.request(
          { method: req.method, path: req.path, body: req.body },
          { meta: true, ignore: [400, 404, 409] },
        );
        const error = (res.body as { error?: { reason?: string; type?: string } } | undefined)?.error;
        return { status: res.statusCode ?? undefined, reason: error ? `${error.type}: ${error.reason}` : 'ok' };
      } catch (e) {
        const err = e as { meta?: { statusCode?: number }; message?: string };
        return { status: err.meta?.statusCode, reason: err.message ?? String(e) };
      }
    },
  };
}
