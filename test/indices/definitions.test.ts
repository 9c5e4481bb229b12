import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { checkIndexDefinitions, formatIndexProblem, patternsOverlap } from '../../lib/indices';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A temporary indices/ folder with the given files (path under indices/ → YAML text). */
function folder(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'elk-indices-'));
  dirs.push(root);
  const dir = path.join(root, 'indices');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const check = (files: Record<string, string>, over: Partial<Parameters<typeof checkIndexDefinitions>[0]> = {}) =>
  checkIndexDefinitions({
    dir: folder(files),
    environment: 'dev',
    tokens: {},
    version: '8.19.3',
    dataNodes: 3,
    ...over,
  });
const messages = (files: Record<string, string>, over = {}) => check(files, over).problems.map(formatIndexProblem);

describe('the project indices/ folder', () => {
  it.each([
    ['dev', 2, { LOGS_SHARDS: 1, LOGS_REPLICAS: 1, LOGS_RETENTION_DAYS: 7 }],
    ['production', 6, { LOGS_SHARDS: 6, LOGS_REPLICAS: 1, LOGS_RETENTION_DAYS: 30 }],
  ])('is valid for %s with its tokens', (environment, dataNodes, tokens) => {
    const r = checkIndexDefinitions({ environment, tokens, version: '8.19.3', dataNodes });
    expect(r.problems).toEqual([]);
    expect(r.definitions.map((d) => `${d.kind}/${d.name}`).sort()).toEqual([
      'component-template/elk-logs-mappings',
      'component-template/elk-logs-settings',
      'ilm-policy/elk-logs',
      'index-template/elk-logs',
    ]);
  });
});

describe('tokens', () => {
  it('gives a whole-scalar token the value and type of the environment, and interpolates inside strings', () => {
    const r = check(
      {
        'component-templates/s.yaml':
          "template:\n  settings:\n    number_of_replicas: '@@R@@'\n    codec: 'best_@@C@@'\n",
      },
      { tokens: { R: 2, C: 'compression' } },
    );
    expect(r.problems).toEqual([]);
    expect(r.definitions[0]!.body).toEqual({
      template: { settings: { number_of_replicas: 2, codec: 'best_compression' } },
    });
  });
  it('names the file, key and config key for a token without a value', () => {
    expect(
      messages({ 'component-templates/s.yaml': 'template:\n  settings:\n    number_of_replicas: @@R@@\n' }),
    ).toEqual([
      expect.stringMatching(
        /s\.yaml: template\.settings\.number_of_replicas: token @@R@@ has no value .*indices\.tokens/,
      ),
    ]);
  });
});

describe('structure against the client request types', () => {
  it('refuses an unknown top-level key with a suggestion', () => {
    expect(messages({ 'index-templates/t.yaml': "index_patterns: ['a-*']\npriorty: 5\n" })).toEqual([
      expect.stringMatching(/t\.yaml: priorty: unknown key \(did you mean "priority"\?\)/),
    ]);
  });
  it('refuses a wrong type', () => {
    expect(messages({ 'index-templates/t.yaml': "index_patterns: ['a-*']\npriority: high\n" })).toEqual([
      expect.stringMatching(/t\.yaml: priority: must be/),
    ]);
  });
  it('refuses an unknown mapping parameter', () => {
    const text =
      "index_patterns: ['a-*']\ntemplate:\n  mappings:\n    properties:\n      x: {type: keyword, ignore_abov: 3}\n";
    expect(messages({ 'index-templates/t.yaml': text }).join('\n')).toMatch(
      /template\.mappings\.properties\.x.*ignore_abov/,
    );
  });
  it('takes an ILM policy as the request body (policy: ...)', () => {
    expect(messages({ 'ilm-policies/p.yaml': 'phases:\n  hot: {actions: {}}\n' })).toEqual([
      expect.stringMatching(/p\.yaml: phases: unknown key/),
    ]);
  });
  it('reports a YAML error with the file', () => {
    expect(messages({ 'index-templates/t.yaml': 'index_patterns: [a\n' })).toEqual([
      expect.stringMatching(/t\.yaml: -: not valid YAML/),
    ]);
  });
});

describe('references', () => {
  it('refuses composed_of naming a component template that is neither defined nor built in', () => {
    expect(
      messages({ 'index-templates/t.yaml': "index_patterns: ['a-*']\ncomposed_of: [logs@mappings, nope]\n" }),
    ).toEqual([expect.stringMatching(/t\.yaml: composed_of\.1: component template "nope" is not defined/)]);
  });
  it('accepts a missing component template listed in ignore_missing_component_templates', () => {
    expect(
      messages({
        'index-templates/t.yaml':
          "index_patterns: ['a-*']\ncomposed_of: [a@custom]\nignore_missing_component_templates: [a@custom]\n",
      }),
    ).toEqual([]);
  });
  it('refuses index.lifecycle.name naming an unknown policy, in any settings notation', () => {
    for (const settings of [
      '{index.lifecycle.name: gone}',
      '{index: {lifecycle: {name: gone}}}',
      '{lifecycle.name: gone}',
    ]) {
      expect(messages({ 'component-templates/c.yaml': `template:\n  settings: ${settings}\n` })).toEqual([
        expect.stringMatching(/c\.yaml: template\.settings\.index\.lifecycle\.name: names ILM policy "gone"/),
      ]);
    }
  });
});

describe('what Elasticsearch would refuse or could not place', () => {
  it('refuses overlapping patterns at one priority, and accepts them at different priorities', () => {
    const a = "index_patterns: ['app-*']\npriority: 10\n";
    expect(
      messages({
        'index-templates/a.yaml': a,
        'index-templates/b.yaml': "index_patterns: ['app-web-*']\npriority: 10\n",
      }),
    ).toEqual([
      expect.stringMatching(/b\.yaml: index_patterns: pattern "app-web-\*" overlaps "app-\*" of index template "a"/),
    ]);
    expect(
      messages({
        'index-templates/a.yaml': a,
        'index-templates/b.yaml': "index_patterns: ['app-web-*']\npriority: 11\n",
      }),
    ).toEqual([]);
  });
  it("refuses a template that collides with Elasticsearch's built-in logs template", () => {
    expect(messages({ 'index-templates/t.yaml': "index_patterns: ['logs-app-*']\npriority: 100\n" })).toEqual([
      expect.stringMatching(/t\.yaml: priority: .*built-in index template "logs".*above 100/),
    ]);
  });
  it('refuses more replicas than the data nodes can hold, naming the file that sets them', () => {
    const r = messages(
      {
        'component-templates/s.yaml': 'template:\n  settings: {number_of_replicas: 2}\n',
        'index-templates/t.yaml': "index_patterns: ['a-*']\ncomposed_of: [s]\n",
      },
      { dataNodes: 2 },
    );
    expect(r).toEqual([
      expect.stringMatching(
        /s\.yaml: template\.settings\.index\.number_of_replicas: .*2 replica\(s\).*needs 3 data nodes.* has 2/,
      ),
    ]);
  });
  it("counts Elasticsearch's default of one replica", () => {
    expect(messages({ 'index-templates/t.yaml': "index_patterns: ['a-*']\n" }, { dataNodes: 1 })).toEqual([
      expect.stringMatching(/1 replica\(s\) \(the default\)/),
    ]);
  });
  it('refuses ILM actions in the wrong phase, hot actions without rollover, a frozen phase without a snapshot', () => {
    const text =
      'policy:\n  phases:\n    hot: {actions: {shrink: {number_of_shards: 1}, delete: {}}}\n    frozen: {actions: {}}\n';
    expect(messages({ 'ilm-policies/p.yaml': text })).toEqual([
      expect.stringMatching(/policy\.phases\.hot\.actions\.delete: action "delete" is not allowed in the hot phase/),
      expect.stringMatching(/policy\.phases\.hot\.actions: shrink may not be used in the hot phase without a rollover/),
      expect.stringMatching(/policy\.phases\.frozen\.actions: the frozen phase needs a searchable_snapshot/),
    ]);
  });
  it('refuses an ILM action the configured version does not know', () => {
    const text = "policy:\n  phases:\n    warm: {actions: {downsample: {fixed_interval: '1h'}}}\n";
    expect(messages({ 'ilm-policies/p.yaml': text }, { version: '8.4.3' })).toEqual([
      expect.stringMatching(/downsample" needs Elasticsearch 8\.5 or later; the environment runs 8\.4\.3/),
    ]);
    expect(messages({ 'ilm-policies/p.yaml': text }, { version: '8.5.0' })).toEqual([]);
  });
});

describe('patternsOverlap', () => {
  it.each([
    ['logs-*', 'logs-app-*', true],
    ['logs-*-*', 'logs-*', true],
    ['a-*', 'b-*', false],
    ['*-x', 'y-*', true],
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['a*c', 'ab*', true],
    ['a*c', 'b*', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(patternsOverlap(a, b)).toBe(expected);
    expect(patternsOverlap(b, a)).toBe(expected);
  });
});
