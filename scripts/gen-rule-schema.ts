/**
 * Writes lib/rules/data/elastalert-schema.json, ElastAlert's rule schema (elastalert-schema.yaml, the upstream file
 * kept verbatim) as JSON: what `ruleSchema()` loads, because parsing the YAML took longer than every other step of
 * `elkctl rules check` on a few rules. Run after updating the YAML; test/rules/schema-json.test.ts fails while the
 * two differ.
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

const data = path.resolve(__dirname, '..', 'lib', 'rules', 'data');
const schema: unknown = parse(readFileSync(path.join(data, 'elastalert-schema.yaml'), 'utf8'), { merge: true });
writeFileSync(path.join(data, 'elastalert-schema.json'), JSON.stringify(schema, null, 2) + '\n');
console.log('wrote lib/rules/data/elastalert-schema.json');
