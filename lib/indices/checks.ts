/**
 * Checks across definitions that Elasticsearch makes when it receives them (or that would fail later): references
 * between templates and policies, overlapping patterns at one priority, replicas the data nodes cannot hold, ILM
 * phases and actions the version does not know.
 */
import {
  BUILTIN_COMPONENT_TEMPLATES,
  BUILTIN_ILM_POLICIES,
  BUILTIN_INDEX_TEMPLATES,
  HOT_ACTIONS_NEEDING_ROLLOVER,
  ILM_ACTION_SINCE,
  ILM_PHASE_ACTIONS,
} from './builtins';
import { firstOverlap } from './patterns';
import { IndexDefinition, IndexProblem } from './types';

export interface ClusterFacts {
  /** Elasticsearch version of the environment, e.g. "8.19.3". */
  readonly version: string;
  readonly dataNodes: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Index settings as Elasticsearch normalises them: flat dotted keys with the `index.` prefix. */
export function flatSettings(settings: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, prefix: string): void => {
    if (isObj(v)) for (const [k, child] of Object.entries(v)) walk(child, prefix ? `${prefix}.${k}` : k);
    else out.set(prefix.startsWith('index.') ? prefix : `index.${prefix}`, v);
  };
  walk(settings, '');
  return out;
}

const settingsOf = (def: IndexDefinition): Map<string, unknown> => {
  const template = def.body.template;
  return flatSettings(isObj(template) ? template.settings : undefined);
};

export function crossProblems(defs: readonly IndexDefinition[], facts: ClusterFacts): IndexProblem[] {
  const problems: IndexProblem[] = [];
  const components = new Map(defs.filter((d) => d.kind === 'component-template').map((d) => [d.name, d]));
  const policies = new Map(defs.filter((d) => d.kind === 'ilm-policy').map((d) => [d.name, d]));
  const indexTemplates = defs.filter((d) => d.kind === 'index-template');

  const lifecycleRef = (def: IndexDefinition, settings: Map<string, unknown>): void => {
    const policy = settings.get('index.lifecycle.name');
    if (typeof policy === 'string' && !policies.has(policy) && !BUILTIN_ILM_POLICIES.has(policy)) {
      problems.push({
        file: def.file,
        key: 'template.settings.index.lifecycle.name',
        message: `names ILM policy "${policy}", which is neither in indices/ilm-policies/ nor built into Elasticsearch: add indices/ilm-policies/${policy}.yaml or fix the name`,
      });
    }
  };
  for (const c of components.values()) lifecycleRef(c, settingsOf(c));

  for (const t of indexTemplates) {
    const composedOf = Array.isArray(t.body.composed_of) ? (t.body.composed_of as string[]) : [];
    const ignoreMissing = new Set(
      Array.isArray(t.body.ignore_missing_component_templates)
        ? (t.body.ignore_missing_component_templates as string[])
        : [],
    );
    composedOf.forEach((name, i) => {
      if (!components.has(name) && !BUILTIN_COMPONENT_TEMPLATES.has(name) && !ignoreMissing.has(name)) {
        problems.push({
          file: t.file,
          key: `composed_of.${i}`,
          message: `component template "${name}" is not defined: add indices/component-templates/${name}.yaml, fix the name, or list it in ignore_missing_component_templates`,
        });
      }
    });
    // Effective settings: component templates in order, then the template's own (later wins, as in Elasticsearch).
    const effective = new Map<string, { value: unknown; file: string }>();
    for (const name of composedOf) {
      const c = components.get(name);
      if (c) for (const [k, v] of settingsOf(c)) effective.set(k, { value: v, file: c.file });
    }
    for (const [k, v] of settingsOf(t)) effective.set(k, { value: v, file: t.file });
    lifecycleRef(t, settingsOf(t));
    const replicas = effective.get('index.number_of_replicas');
    const n = replicas === undefined ? 1 : Number(replicas.value);
    if (Number.isFinite(n) && n + 1 > facts.dataNodes) {
      problems.push({
        file: replicas?.file ?? t.file,
        key: 'template.settings.index.number_of_replicas',
        message: `index template "${t.name}" gives its indices ${n} replica(s)${replicas ? '' : ' (the default)'}, so each shard needs ${n + 1} data nodes, but the environment has ${facts.dataNodes}: lower the replicas (a token per environment) or raise elasticsearch.dataNodes.count`,
      });
    }
  }

  // Overlapping patterns at one priority (ours against ours and against the built-in templates).
  const patternsOf = (d: { body: Obj }): string[] => {
    const p = d.body.index_patterns;
    return typeof p === 'string' ? [p] : Array.isArray(p) ? (p as string[]) : [];
  };
  const priorityOf = (d: { body: Obj }): number => (typeof d.body.priority === 'number' ? d.body.priority : 0);
  indexTemplates.forEach((t, i) => {
    for (const other of indexTemplates.slice(0, i)) {
      const pair = priorityOf(t) === priorityOf(other) ? firstOverlap(patternsOf(t), patternsOf(other)) : undefined;
      if (pair) {
        problems.push({
          file: t.file,
          key: 'index_patterns',
          message: `pattern "${pair[0]}" overlaps "${pair[1]}" of index template "${other.name}" (${other.file}) at the same priority ${priorityOf(t)}: Elasticsearch refuses both; give one a higher priority`,
        });
      }
    }
    for (const b of BUILTIN_INDEX_TEMPLATES) {
      const pair = priorityOf(t) === b.priority ? firstOverlap(patternsOf(t), b.patterns) : undefined;
      if (pair) {
        problems.push({
          file: t.file,
          key: 'priority',
          message: `pattern "${pair[0]}" overlaps "${pair[1]}" of Elasticsearch's built-in index template "${b.name}" at the same priority ${b.priority}: Elasticsearch refuses it; use a priority above ${b.priority} (e.g. ${b.priority + 100})`,
        });
      }
    }
  });

  for (const p of policies.values()) problems.push(...ilmProblems(p, facts.version));
  return problems;
}

function ilmProblems(def: IndexDefinition, version: string): IndexProblem[] {
  const problems: IndexProblem[] = [];
  const policy = def.body.policy;
  const phases = isObj(policy) && isObj(policy.phases) ? policy.phases : {};
  const [major, minor] = version.split('.').map(Number) as [number, number];
  for (const [phase, body] of Object.entries(phases)) {
    const allowed = ILM_PHASE_ACTIONS[phase];
    if (!allowed) {
      problems.push({
        file: def.file,
        key: `policy.phases.${phase}`,
        message: `unknown phase: the phases are ${Object.keys(ILM_PHASE_ACTIONS).join(', ')}`,
      });
      continue;
    }
    const actions = isObj(body) && isObj(body.actions) ? Object.keys(body.actions) : [];
    for (const action of actions) {
      const since = ILM_ACTION_SINCE[action];
      if (!allowed.includes(action)) {
        problems.push({
          file: def.file,
          key: `policy.phases.${phase}.actions.${action}`,
          message: `action "${action}" is not allowed in the ${phase} phase (allowed: ${allowed.join(', ')})`,
        });
      } else if (since && (major < since[0] || (major === since[0] && minor < since[1]))) {
        problems.push({
          file: def.file,
          key: `policy.phases.${phase}.actions.${action}`,
          message: `action "${action}" needs Elasticsearch ${since.join('.')} or later; the environment runs ${version}`,
        });
      }
    }
    if (phase === 'hot' && !actions.includes('rollover')) {
      const needing = actions.filter((a) => HOT_ACTIONS_NEEDING_ROLLOVER.includes(a));
      if (needing.length > 0) {
        problems.push({
          file: def.file,
          key: 'policy.phases.hot.actions',
          message: `${needing.join(', ')} may not be used in the hot phase without a rollover action: add rollover or move them to warm`,
        });
      }
    }
    if (phase === 'frozen' && !actions.includes('searchable_snapshot')) {
      problems.push({
        file: def.file,
        key: 'policy.phases.frozen.actions',
        message: 'the frozen phase needs a searchable_snapshot action',
      });
    }
  }
  return problems;
}
