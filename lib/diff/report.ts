import { Writable } from 'stream';
import {
  formatDifferences,
  fullDiff,
  ResourceDifference,
  ResourceImpact,
  TemplateDiff,
} from '@aws-cdk/cloudformation-diff';
import { AssemblyStack, Template } from './assembly';
import {
  ES_ROLES,
  formatDuration,
  groupRisks,
  NodeRoll,
  nodeRolls,
  plannedScaleIns,
  RuleChange,
  ruleChanges,
  statefulReason,
} from './impact';
import { ruleFieldChanges } from './rule-fields';
import { deployWaitWarning } from './deploy-wait';
import { NO_SECURITY_CHANGE, SecurityChanges, securityChanges } from './security';

export type { SecurityChanges } from './security';

/** Ids of the version stamp (lib/version/stamp.ts), repeated here so the diff does not depend on the CDK code. */
const STAMP = {
  output: 'ElkVersion',
  parameterOutput: 'AllowPrereleaseUsed',
  tag: 'elk-cdk:version',
  parameter: 'AllowPrerelease',
  rule: 'RequireReleaseBuild',
} as const;

export type ResourceAction = 'add' | 'remove' | 'update' | 'replace' | 'may-replace' | 'orphan' | 'import';

export interface ResourceChange {
  readonly logicalId: string;
  /** Construct path relative to the stack, or the logical id when unknown. */
  readonly path: string;
  readonly type: string;
  readonly action: ResourceAction;
  /** Changed properties (and other attributes such as Metadata, DependsOn). */
  readonly changed: readonly string[];
  /** The subset of properties whose change causes the replacement. */
  readonly replacing: readonly string[];
}

/** A stateful resource that this change destroys (or detaches, when retained). */
export interface DataRisk {
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly type: string;
  readonly action: ResourceAction | 'nodes-removed' | 'nodes-terminated';
  readonly reason: string;
  /** The old resource is retained (DeletionPolicy / UpdateReplacePolicy Retain or Snapshot): detached, not deleted. */
  readonly retained: boolean;
}

export interface StackDiff {
  readonly name: string;
  readonly stage?: string;
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly resources: readonly ResourceChange[];
  /** Parameters, outputs, conditions, rules, mappings… that changed (version stamp excluded). */
  readonly other: readonly string[];
  /** Build versions when they differ; the stamp (output, tags, release guard) is not counted as a change. */
  readonly version?: { readonly from?: string; readonly to?: string; readonly taggedResources: number };
  readonly security: SecurityChanges;
  readonly nodes: readonly NodeRoll[];
  readonly rules: readonly RuleChange[];
  /** Changed rule → its field changes (`spike_height: 3 → 4`), when the rule bundles are in the assemblies. */
  readonly ruleFields?: Readonly<Record<string, readonly string[]>>;
  readonly risks: readonly DataRisk[];
  /** Human sentences: node replacements, Kibana, rules. */
  readonly impact: readonly string[];
  /** cloudformation-diff's full rendering (no colours), construct paths instead of logical ids. */
  readonly detail: string;
}

export type FailKind = 'any' | 'replacement' | 'security';

export interface DiffReport {
  readonly base: string;
  readonly head: string;
  readonly stacks: readonly StackDiff[];
  /** Every data risk of every stack, flagged first. */
  readonly risks: readonly DataRisk[];
  /** Which kinds of change the diff contains (what --fail-on tests). */
  readonly has: Readonly<Record<FailKind, boolean>>;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function stampValue(t: Template | undefined): string | undefined {
  const outputs = t?.Outputs as Record<string, { Value?: unknown }> | undefined;
  const v = outputs?.[STAMP.output]?.Value;
  return typeof v === 'string' ? v : undefined;
}

/** The template without the version stamp, plus the ids of resources whose only tag change is the version. */
function withoutStamp(t: Template): { template: Template; tagged: Map<string, string> } {
  const out = clone(t);
  const tagged = new Map<string, string>();
  delete (out.Outputs as Record<string, unknown> | undefined)?.[STAMP.output];
  delete (out.Outputs as Record<string, unknown> | undefined)?.[STAMP.parameterOutput];
  delete (out.Parameters as Record<string, unknown> | undefined)?.[STAMP.parameter];
  delete (out.Rules as Record<string, unknown> | undefined)?.[STAMP.rule];
  for (const section of ['Outputs', 'Parameters', 'Rules'] as const) {
    const s = out[section] as Record<string, unknown> | undefined;
    if (s && Object.keys(s).length === 0) delete out[section];
  }
  for (const [id, r] of Object.entries(out.Resources ?? {})) {
    const tags = r.Properties?.Tags;
    if (Array.isArray(tags)) {
      const rest = tags.filter((x: { Key?: unknown; Value?: unknown }) => {
        if (x?.Key !== STAMP.tag) return true;
        tagged.set(id, String(x.Value));
        return false;
      });
      if (rest.length === 0) delete r.Properties!.Tags;
      else r.Properties!.Tags = rest;
    }
  }
  return { template: out, tagged };
}

const ACTION: Record<string, ResourceAction> = {
  [ResourceImpact.WILL_CREATE]: 'add',
  [ResourceImpact.WILL_DESTROY]: 'remove',
  [ResourceImpact.WILL_ORPHAN]: 'orphan',
  [ResourceImpact.WILL_REPLACE]: 'replace',
  [ResourceImpact.MAY_REPLACE]: 'may-replace',
  [ResourceImpact.WILL_UPDATE]: 'update',
  [ResourceImpact.WILL_IMPORT]: 'import',
  [ResourceImpact.NO_CHANGE]: 'update',
};

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
export const stripAnsi = (s: string): string => s.replace(ANSI, '');

function substitutePaths(rows: string[][], paths: Record<string, string>): string[][] {
  return rows.map((row) =>
    row.map((cell) =>
      stripAnsi(cell).replace(/\$\{([A-Za-z0-9]+)((?:\.[A-Za-z0-9]+)*)\}/g, (m, id: string, attr: string) =>
        paths[id] ? `\${${paths[id]}${attr}}` : m,
      ),
    ),
  );
}

function render(diff: TemplateDiff, paths: Record<string, string>): string {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as Writable & { columns?: number };
  stream.columns = 160;
  // The formatter drops the first path component (it expects "/<stack>/..."), so give it one.
  const formatterPaths = Object.fromEntries(Object.entries(paths).map(([id, p]) => [id, `/stack/${p}`]));
  formatDifferences(stream, diff, formatterPaths);
  return stripAnsi(text).trimEnd();
}

function resourceChange(id: string, d: ResourceDifference, paths: Record<string, string>): ResourceChange {
  const changed: string[] = [];
  const replacing: string[] = [];
  for (const [name, p] of Object.entries(d.propertyUpdates)) {
    changed.push(name);
    if (p.changeImpact === ResourceImpact.WILL_REPLACE || p.changeImpact === ResourceImpact.MAY_REPLACE)
      replacing.push(name);
  }
  for (const name of Object.keys(d.otherChanges)) if (name !== 'Properties') changed.push(name);
  return {
    logicalId: id,
    path: paths[id] ?? id,
    type: d.newResourceType ?? d.oldResourceType ?? 'unknown',
    action: ACTION[d.changeImpact] ?? 'update',
    changed,
    replacing,
  };
}

function otherChanges(diff: TemplateDiff): string[] {
  const out: string[] = [];
  const sections = [
    ['Parameter', diff.parameters],
    ['Output', diff.outputs],
    ['Condition', diff.conditions],
    ['Mapping', diff.mappings],
    ['Metadata', diff.metadata],
    ['Template section', diff.unknown],
  ] as const;
  for (const [label, coll] of sections) {
    coll.forEachDifference((id: string, d: { isAddition: boolean; isRemoval: boolean }) => {
      out.push(`${label} ${id} ${d.isAddition ? 'added' : d.isRemoval ? 'removed' : 'changed'}`);
    });
  }
  return out;
}

const ROLE_LABEL: Record<string, string> = { kibana: 'Kibana', logstash: 'Logstash' };

/** What each replacement waits for before an old node goes (issue #23). */
export const WAITS_FOR = {
  elasticsearch:
    'each old node goes once its shard copies have moved and no long-running task (reindex, update/delete by query, force merge) runs on it',
  kibana: 'each old node goes once its in-flight requests finished (ALB deregistration delay)',
  logstash: 'each old node goes once Beats moved away (NLB deregistration) and its persistent queue drained',
} as const;

function roleList(roles: string[]): string {
  return roles.length <= 1 ? (roles[0] ?? '') : `${roles.slice(0, -1).join(', ')} and ${roles[roles.length - 1]}`;
}

/** Human sentences about nodes and rules for one stack. */
export function impactSentences(stack: string, rolls: readonly NodeRoll[], rules: readonly RuleChange[]): string[] {
  const out: string[] = [];
  const isEs = (r: NodeRoll) => (ES_ROLES as readonly string[]).includes(r.role);
  const es = rolls.filter((r) => r.kind === 'replace' && isEs(r));
  if (es.length > 0) {
    const order = (r: NodeRoll) => (r.role === 'data' ? 0 : r.role === 'master' ? 1 : 2);
    es.sort((a, b) => order(a) - order(b));
    const roles = [...new Set(es.map((r) => r.role))];
    const what =
      roles.length === 1 && es.length === 1
        ? `${roles[0]} nodes' launch template changes`
        : `${roleList(roles)} nodes' launch templates change`;
    const versions = [
      ...new Set(
        es.filter((r) => r.fromVersion !== r.toVersion).map((r) => `${r.fromVersion ?? '?'} → ${r.toVersion ?? '?'}`),
      ),
    ];
    const reasons = [...new Set(es.map((r) => r.reason).filter((r) => r !== 'launch template data changed'))];
    const detail = [versions.length > 0 ? `Elasticsearch ${versions.join(', ')}` : undefined, ...reasons].filter(
      Boolean,
    );
    const counts = roles.map(
      (role) => `${es.filter((r) => r.role === role).reduce((n, r) => n + r.nodeCount, 0)} ${role}`,
    );
    const total = es.reduce((n, r) => n + r.nodeCount, 0);
    const estimates = es.map((r) => r.estimateSeconds);
    const estimate = estimates.every((e): e is number => e !== undefined)
      ? `estimated ${formatDuration(estimates.reduce((a, b) => a + b, 0))} from ${
          es.some((r) => r.method?.method === 'handoff')
            ? 'the boot time (a handoff copies only what changed while a node is away)'
            : 'the configured data volume and recovery bandwidth'
        }`
      : 'no time estimate (launch template metadata lacks elk-cdk:bootSeconds, dataPerNodeBytes or recoveryBytesPerSec)';
    // The data nodes' method (rollout.method, maxSurge), when the template has the rolling replacement resource.
    const method = es.find((r) => r.method)?.method;
    const howMany = method && (method.atOnce > 1 || method.method === 'handoff') ? '' : ' one by one';
    const masters = es.some((r) => r.role === 'master') && !howMany ? '; masters one by one' : '';
    const how = method ? ` (${method.text}${masters})` : '';
    const known = estimates.every((e): e is number => e !== undefined);
    const waits = es.map((r) => r.deployWaitSeconds).filter((w): w is number => w !== undefined);
    const tooLong = deployWaitWarning(
      known ? estimates.reduce((a, b) => a + b, 0) : undefined,
      waits.length > 0 ? Math.max(...waits) : undefined,
      formatDuration,
    );
    out.push(
      `${stack}: ${what}${detail.length ? ` (${detail.join('; ')})` : ''}: ${counts.join(' + ')} node${total === 1 ? '' : 's'} ` +
        `will be replaced${howMany}${how}; ${estimate}; ${WAITS_FOR.elasticsearch}${tooLong ? `. ${tooLong}` : ''}`,
    );
  }
  for (const r of rolls.filter((x) => !isEs(x) || x.kind !== 'replace')) {
    const label = ROLE_LABEL[r.role] ?? `${r.role} nodes`;
    const n = `${r.nodeCount} node${r.nodeCount === 1 ? '' : 's'}`;
    if (r.kind === 'replace') {
      const when = es.length > 0 && r.role === 'kibana' ? ' after the Elasticsearch roll' : '';
      const why = r.reason === 'launch template data changed' ? '' : ` (${r.reason})`;
      const est = r.estimateSeconds !== undefined ? `; about ${formatDuration(r.estimateSeconds)}` : '';
      const waits = r.role === 'kibana' || r.role === 'logstash' ? `; ${WAITS_FOR[r.role]}` : '';
      out.push(`${stack}: ${label}: ${n} will be replaced${when}${why}${est}${waits}`);
    } else if (r.kind === 'launch') {
      out.push(`${stack}: ${label}: new launch template, ${n} will be launched`);
    } else {
      out.push(`${stack}: ${label}: launch template removed, ${n} will be terminated`);
    }
  }
  if (rules.length > 0) {
    const parts = (['added', 'changed', 'removed'] as const)
      .map((c) => [c, rules.filter((r) => r.change === c).map((r) => r.name)] as const)
      .filter(([, names]) => names.length > 0)
      .map(([c, names]) => `${c} ${names.join(', ')}`);
    out.push(`${stack}: alert rules: ${parts.join('; ')}`);
  }
  return out;
}

/** Compares one stack between base and head. */
export function diffStack(name: string, base: AssemblyStack | undefined, head: AssemblyStack | undefined): StackDiff {
  const stage = head?.stage ?? base?.stage;
  if (!head) {
    return {
      name,
      stage,
      status: 'removed',
      resources: [],
      other: [],
      security: NO_SECURITY_CHANGE,
      nodes: [],
      rules: [],
      risks: [],
      impact: [
        `${name}: no longer in the app; cdk deploy leaves the deployed stack alone (cdk destroy would delete it and its data)`,
      ],
      detail: '',
    };
  }
  const paths = { ...(base?.paths ?? {}), ...head.paths };
  const oldT = withoutStamp(base?.template ?? {});
  const newT = withoutStamp(head.template);
  const diff = fullDiff(oldT.template, newT.template);

  const resources: ResourceChange[] = [];
  diff.resources.forEachDifference((id, d) => resources.push(resourceChange(id, d, paths)));
  resources.sort((a, b) => a.path.localeCompare(b.path));
  const replaced = new Set(
    resources.filter((r) => r.action === 'replace' || r.action === 'may-replace').map((r) => r.logicalId),
  );

  const nodes = nodeRolls(oldT.template, newT.template, replaced);
  const rules = ruleChanges(oldT.template, newT.template);

  const risks: DataRisk[] = [];
  for (const r of resources) {
    if (!['remove', 'orphan', 'replace', 'may-replace'].includes(r.action)) continue;
    const removal = r.action === 'remove' || r.action === 'orphan';
    const resource = removal ? oldT.template.Resources![r.logicalId]! : newT.template.Resources![r.logicalId]!;
    const template = removal ? oldT.template : newT.template;
    const reason = statefulReason(resource, template);
    if (!reason) continue;
    const policy = removal ? resource.DeletionPolicy : (resource.UpdateReplacePolicy ?? resource.DeletionPolicy);
    const retained =
      r.action === 'orphan' ||
      (policy !== undefined && ['Retain', 'RetainExceptOnCreate', 'Snapshot'].includes(policy));
    risks.push({ stack: name, logicalId: r.logicalId, path: r.path, type: r.type, action: r.action, reason, retained });
  }
  for (const roll of nodes) {
    if (roll.kind === 'remove' && (ES_ROLES as readonly string[]).includes(roll.role)) {
      risks.push({
        stack: name,
        logicalId: roll.logicalId,
        path: paths[roll.logicalId] ?? roll.logicalId,
        type: 'AWS::EC2::LaunchTemplate',
        action: 'nodes-removed',
        reason: `${roll.nodeCount} Elasticsearch ${roll.role} nodes removed without a replacement launch template`,
        retained: false,
      });
    }
  }

  for (const g of groupRisks(oldT.template, newT.template, replaced)) {
    risks.push({
      stack: name,
      logicalId: g.logicalId,
      path: paths[g.logicalId] ?? g.logicalId,
      type: 'AWS::AutoScaling::AutoScalingGroup',
      action: 'nodes-terminated',
      reason: g.reason,
      retained: false,
    });
  }

  const security = securityChanges(oldT.template, newT.template, (rows) => substitutePaths(rows, paths), diff);

  const from = stampValue(base?.template);
  const to = stampValue(head.template);
  let taggedResources = 0;
  for (const [id, v] of newT.tagged) if (oldT.tagged.get(id) !== v) taggedResources++;
  const version = base && from !== to ? { from, to, taggedResources } : undefined;

  const other = otherChanges(diff);
  const status = !base ? 'added' : diff.isEmpty ? 'unchanged' : 'changed';
  const ruleFields = ruleFieldChanges(
    base,
    head,
    rules.filter((r) => r.change === 'changed').map((r) => r.name),
  );
  const fieldLines = Object.entries(ruleFields).map(([rule, f]) => `${name}: rule ${rule}: ${f.join('; ')}`);
  return {
    name,
    stage,
    status,
    resources,
    other,
    version,
    security,
    nodes,
    rules,
    ruleFields,
    risks,
    impact: [
      ...impactSentences(name, nodes, rules),
      ...plannedScaleIns(oldT.template, newT.template).map(
        (p) =>
          `${name}: ${p.role} nodes: planned scale-in ${p.from} → ${p.to}: the rolling replacement drains and removes ` +
          `${p.from - p.to} node${p.from - p.to === 1 ? '' : 's'} one at a time (scale-in protection keeps Auto Scaling ` +
          "from picking any); it refuses below what the indices' replicas need",
      ),
      ...fieldLines,
    ],
    detail: diff.isEmpty ? '' : render(diff, paths),
  };
}

/** Compares two assemblies stack by stack (union of display names, sorted). */
export function diffAssemblies(
  base: Map<string, AssemblyStack>,
  head: Map<string, AssemblyStack>,
  labels: { base: string; head: string } = { base: 'base', head: 'head' },
): DiffReport {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  const stacks = names.map((n) => diffStack(n, base.get(n), head.get(n)));
  const risks = stacks.flatMap((s) => s.risks);
  return {
    base: labels.base,
    head: labels.head,
    stacks,
    risks,
    has: {
      any: stacks.some((s) => s.status !== 'unchanged'),
      replacement:
        risks.length > 0 ||
        stacks.some(
          (s) =>
            s.resources.some((r) => r.action === 'replace' || r.action === 'may-replace') ||
            s.nodes.some((n) => n.kind === 'replace' || n.kind === 'remove'),
        ),
      security: stacks.some((s) => s.security.changed),
    },
  };
}
