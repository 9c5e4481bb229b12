/**
 * Generates lib/indices/data/es-requests.schema.json from the official client's request types
 * (lib/indices/data/request-types.ts) with ts-json-schema-generator. Run after upgrading @elastic/elasticsearch.
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { createGenerator } from 'ts-json-schema-generator';

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'lib/indices/data/es-requests.schema.json');
const schema = createGenerator({
  path: path.join(root, 'lib/indices/data/request-types.ts'),
  tsconfig: path.join(root, 'tsconfig.json'),
  type: 'IndexDefinitionRequests',
  skipTypeCheck: true,
  additionalProperties: false,
  sortProps: true,
}).createSchema('IndexDefinitionRequests');
const clientPackage = path.join(root, 'node_modules/@elastic/elasticsearch/package.json');
const { version } = JSON.parse(readFileSync(clientPackage, 'utf8')) as { version: string };
writeFileSync(
  out,
  JSON.stringify({ $comment: `generated from @elastic/elasticsearch ${version} types`, ...schema }) + '\n',
);
console.log(`wrote ${path.relative(root, out)}`);
