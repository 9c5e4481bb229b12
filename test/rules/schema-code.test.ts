import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  compileValidators,
  loadValidators,
  schemaParts,
  SchemaValidators,
  writeValidators,
} from '../../lib/rules/schema-code';
import { ELASTALERT_SCHEMA_FILE, ELASTALERT_SCHEMA_JSON, ruleSchema } from '../../lib/rules/schema';

/**
 * The rule schema's validators made once as code (ajv standalone, written at build time next to the CLI bundle) must
 * give exactly the verdicts and errors of ajv compiling the schema in the process, and must be used only when they
 * were made from this schema.
 */
const text = fs.readFileSync(ELASTALERT_SCHEMA_JSON, 'utf8');
const parts = schemaParts(JSON.parse(text) as Record<string, unknown>);
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-rule-validators-'));
  writeValidators(text, path.join(dir, 'rule-validators'));
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const TYPES = [
  'any',
  'blacklist',
  'whitelist',
  'change',
  'frequency',
  'spike',
  'spike_aggregation',
  'flatline',
  'new_term',
  'cardinality',
  'metric_aggregation',
  'percentage_match',
  'my.module.Rule',
];
const base = { name: 'r', index: 'logs-*', alert: ['debug'] };
/** Valid and invalid rules of every type: missing required options, wrong types, bad periods, odd values. */
const CORPUS: unknown[] = [
  null,
  'a string',
  [],
  {},
  ...TYPES.flatMap((type) => [
    { ...base, type },
    {
      ...base,
      type,
      num_events: 3,
      timeframe: { minutes: 5 },
      spike_height: 2,
      spike_type: 'up',
      threshold: 1,
      compare_key: 'user',
      blacklist: ['a'],
      whitelist: ['b'],
      ignore_null: true,
      query_key: 'host',
      cardinality_field: 'ip',
      metric_agg_key: 'cpu',
      metric_agg_type: 'avg',
      match_bucket_filter: [{ term: { a: 1 } }],
    },
    { ...base, type, num_events: 'three', timeframe: 'five minutes', spike_type: 'sideways', threshold: -1 },
    { ...base, type, timeframe: { minute: 5 }, realert: { hours: 'x' }, filter: 'not a list', index: 7 },
    { type, alert: 'slack', slack_webhook_url: 5, email: [1, 2], query_key: ['a', 'b'], top_count_keys: 'x' },
  ]),
];

function verdicts(v: SchemaValidators) {
  const run = (f: ReturnType<SchemaValidators['common']>, data: unknown) => ({ valid: f(data), errors: f.errors });
  return CORPUS.map((data) => ({
    common: run(v.common(), data),
    branches: parts.branches.map((_, i) => run(v.branch(i), data)),
  }));
}

test('the code made once gives the verdicts and errors of ajv compiling in the process, for every part', () => {
  const loaded = loadValidators(text, parts, path.join(dir, 'rule-validators'));
  expect(loaded).toBeDefined();
  const expected = verdicts(compileValidators(parts));
  // the corpus reaches both verdicts of every part, so an always-true or always-false validator would differ
  for (let i = -1; i < parts.branches.length; i++) {
    const valid = expected.map((e) => (i < 0 ? e.common : e.branches[i]!).valid);
    expect(new Set(valid)).toEqual(new Set([true, false]));
  }
  expect(verdicts(loaded!)).toEqual(expected);
});

test('the code is not used for another schema text, another part count, or when it is missing', () => {
  expect(loadValidators(`${text} `, parts, path.join(dir, 'rule-validators'))).toBeUndefined();
  expect(
    loadValidators(text, { ...parts, branches: parts.branches.slice(1) }, path.join(dir, 'rule-validators')),
  ).toBeUndefined();
  expect(loadValidators(text, parts, path.join(dir, 'absent'))).toBeUndefined();
});

test('ruleSchema() validates with the code of the folder it is given when it matches, and compiles otherwise', () => {
  const rule = { ...base, type: 'any' };
  // a copy whose common validator refuses everything: used when its key matches, ignored when it does not
  const doctored = path.join(dir, 'doctored');
  fs.cpSync(path.join(dir, 'rule-validators'), doctored, { recursive: true });
  fs.writeFileSync(
    path.join(doctored, 'common.js'),
    'module.exports = function v() { v.errors = [{ message: "doctored" }]; return false; };\n',
  );
  expect(ruleSchema(ELASTALERT_SCHEMA_FILE, path.join(dir, 'rule-validators')).full(rule)).toBe(true);
  expect(ruleSchema(ELASTALERT_SCHEMA_FILE, doctored).full(rule)).toBe(false);
  const index = path.join(doctored, 'index.json');
  fs.writeFileSync(index, JSON.stringify({ ...JSON.parse(fs.readFileSync(index, 'utf8')), key: 'another' }));
  expect(ruleSchema(ELASTALERT_SCHEMA_FILE, doctored).full(rule)).toBe(true);
});
