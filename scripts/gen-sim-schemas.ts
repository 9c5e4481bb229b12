/**
 * Generates sim/es/contract/responses.schema.json from the official client's response types
 * (sim/es/contract/response-types.ts) with ts-json-schema-generator. Run after upgrading @elastic/elasticsearch.
 * Two entries are not the client's type as is: `_cluster/state` (cluster-state.ts, written from Elasticsearch's
 * source; the client types it `any`) and `_snapshot/.../_status` (snapshot-status.ts, the client's type plus three
 * keys the server writes).
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { createGenerator } from 'ts-json-schema-generator';

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'sim/es/contract/responses.schema.json');
const schema = createGenerator({
  path: path.join(root, 'sim/es/contract/response-types.ts'),
  tsconfig: path.join(root, 'tsconfig.json'),
  type: 'SimResponses',
  skipTypeCheck: true,
  sortProps: true,
}).createSchema('SimResponses');
const clientPackage = path.join(root, 'node_modules/@elastic/elasticsearch/package.json');
const { version } = JSON.parse(readFileSync(clientPackage, 'utf8')) as { version: string };
writeFileSync(
  out,
  JSON.stringify({ $comment: `generated from @elastic/elasticsearch ${version} types`, ...schema }) + '\n',
);
console.log(`wrote ${path.relative(root, out)}`);
