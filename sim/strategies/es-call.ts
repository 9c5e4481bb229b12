import type { StrategyWorld } from '../strategy';

/**
 * One Elasticsearch call for the naive strategies: in process when the world offers it (same API as the HTTP face),
 * over HTTP otherwise. A transport error becomes status 0, which the strategies treat as "not ready yet".
 */
export async function esCall(
  world: StrategyWorld,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  if (world.es) return world.es.request(method, url, body);
  try {
    const res = await fetch(world.esUrl + url, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  } catch {
    return { status: 0, body: undefined };
  }
}
