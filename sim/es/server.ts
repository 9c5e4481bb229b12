import * as http from 'http';
import type { AddressInfo } from 'net';
import type { EsApi, EsRequest, EsResponse } from './api';

/**
 * The Elasticsearch-compatible HTTP face on 127.0.0.1 (node:http). `beforeRequest` lets the caller move the virtual
 * clock first (`sim serve` runs it at a multiple of wall time); the scenario runner leaves time alone.
 */
export interface EsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startEsServer(
  api: EsApi,
  options: {
    port?: number;
    beforeRequest?: () => void;
    /** Called with each request and its answer before it is sent (the runner's clock and contract check). */
    afterRequest?: (req: EsRequest, res: EsResponse) => void;
  } = {},
): Promise<EsServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        options.beforeRequest?.();
        const body = chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : undefined;
        const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
        const r = api.handle(request);
        options.afterRequest?.(request, r);
        res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
        res.end(r.body);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        const body = JSON.stringify({
          error: { root_cause: [{ type: 'exception', reason }], type: 'exception', reason },
          status: 500,
        });
        res.writeHead(500, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(body);
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
