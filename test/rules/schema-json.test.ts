import * as fs from 'fs';
import { parse } from 'yaml';
import { ELASTALERT_SCHEMA_FILE, ELASTALERT_SCHEMA_JSON } from '../../lib/rules/schema';

test('elastalert-schema.json is the upstream elastalert-schema.yaml as JSON (else: npm run gen:rule-schema)', () => {
  const yaml: unknown = parse(fs.readFileSync(ELASTALERT_SCHEMA_FILE, 'utf8'), { merge: true });
  const json: unknown = JSON.parse(fs.readFileSync(ELASTALERT_SCHEMA_JSON, 'utf8'));
  expect(json).toEqual(yaml);
});
