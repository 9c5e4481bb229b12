import * as fs from 'fs';
import * as path from 'path';

/** A CloudFormation template as JSON. */
export type Template = { Resources?: Record<string, TemplateResource> } & Record<string, unknown>;
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  [key: string]: unknown;
}

/** One stack of a cloud assembly. */
export interface AssemblyStack {
  /** Display name, `<stage>/<stack>` for staged stacks, e.g. "staging/cluster". */
  readonly name: string;
  /** The stage (environment) the stack belongs to, when nested in a stage assembly. */
  readonly stage?: string;
  readonly template: Template;
  /** Logical id → construct path relative to the stack (e.g. "DataNodes/LaunchTemplate"). */
  readonly paths: Record<string, string>;
  /** Stack tags from the assembly manifest. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Folder of the (nested) assembly that holds the template. */
  readonly dir?: string;
}

export class AssemblyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssemblyError';
  }
}

interface ManifestArtifact {
  type: string;
  displayName?: string;
  properties?: {
    templateFile?: string;
    directoryName?: string;
    displayName?: string;
    tags?: Record<string, string>;
  };
  metadata?: Record<string, Array<{ type: string; data?: unknown }>>;
  additionalMetadataFile?: string;
}

function readJson<T>(file: string, what: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new AssemblyError(`${file}: ${what} not found`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new AssemblyError(`${file}: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

/** "/staging/cluster/DataNodes/LaunchTemplate/Resource" → "DataNodes/LaunchTemplate" (relative to the stack). */
export function shortPath(fullPath: string, stackName: string): string {
  let p = fullPath.replace(/^\//, '');
  const prefix = `${stackName}/`;
  if (p.startsWith(prefix)) p = p.slice(prefix.length);
  return p.replace(/\/(Resource|Default)$/, '');
}

function pathsOf(dir: string, name: string, artifact: ManifestArtifact, template: Template): Record<string, string> {
  const paths: Record<string, string> = {};
  const metadata: Record<string, Array<{ type: string; data?: unknown }>> = { ...(artifact.metadata ?? {}) };
  if (artifact.additionalMetadataFile) {
    const file = path.join(dir, artifact.additionalMetadataFile);
    if (fs.existsSync(file)) Object.assign(metadata, readJson(file, 'stack metadata'));
  }
  for (const [constructPath, entries] of Object.entries(metadata)) {
    for (const e of entries) {
      if (e.type === 'aws:cdk:logicalId' && typeof e.data === 'string') paths[e.data] = shortPath(constructPath, name);
    }
  }
  // aws:cdk:path metadata in the template wins (present with the CLI's default context).
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    const p = r.Metadata?.['aws:cdk:path'];
    if (typeof p === 'string') paths[id] = shortPath(p, name);
  }
  return paths;
}

function readLevel(dir: string, stage: string | undefined, out: Map<string, AssemblyStack>): void {
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = readJson<{ version?: unknown; artifacts?: unknown }>(manifestFile, 'cloud assembly manifest');
  if (
    typeof manifest.version !== 'string' ||
    (manifest.artifacts !== undefined && typeof manifest.artifacts !== 'object')
  ) {
    throw new AssemblyError(
      `${dir}: not a cloud assembly (its manifest.json has no cloud assembly "version"); point --base/--head at the output folder of cdk synth`,
    );
  }
  for (const [id, artifact] of Object.entries((manifest.artifacts ?? {}) as Record<string, ManifestArtifact>)) {
    if (artifact.type === 'cdk:cloud-assembly') {
      const sub = artifact.properties?.directoryName;
      if (!sub) throw new AssemblyError(`${manifestFile}: nested assembly ${id} has no directoryName`);
      readLevel(path.join(dir, sub), artifact.properties?.displayName ?? id.replace(/^assembly-/, ''), out);
    } else if (artifact.type === 'aws:cloudformation:stack') {
      const templateFile = artifact.properties?.templateFile;
      if (!templateFile) throw new AssemblyError(`${manifestFile}: stack ${id} has no templateFile`);
      const name = artifact.displayName ?? (stage ? `${stage}/${id}` : id);
      const template = readJson<Template>(path.join(dir, templateFile), `template of ${name}`);
      const tags = artifact.properties?.tags;
      out.set(name, { name, stage, template, paths: pathsOf(dir, name, artifact, template), tags, dir });
    }
  }
}

/**
 * Reads every stack of a cloud assembly folder (a `cdk.out`), nested stage assemblies included, keyed by display
 * name ("staging/cluster").
 */
export function readAssembly(dir: string): Map<string, AssemblyStack> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new AssemblyError(`${dir}: no such folder; synthesize first (npm run synth, or cdk synth -o ${dir})`);
  }
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new AssemblyError(
      `${dir}: not a cloud assembly (no manifest.json); point --base/--head at the output folder of cdk synth`,
    );
  }
  const out = new Map<string, AssemblyStack>();
  readLevel(dir, undefined, out);
  return out;
}

/** True when a stack carries one of this app's marks: an `elk-cdk:` stack tag or resource metadata, the version output. */
export function isElkStack(s: AssemblyStack): boolean {
  if (Object.keys(s.tags ?? {}).some((k) => k.startsWith('elk-cdk:'))) return true;
  if ((s.template.Outputs as Record<string, unknown> | undefined)?.ElkVersion !== undefined) return true;
  return Object.values(s.template.Resources ?? {}).some((r) =>
    Object.keys(r.Metadata ?? {}).some((k) => k.startsWith('elk-cdk:')),
  );
}

/**
 * readAssembly, refusing what is not a synth of this app: a folder whose manifest.json is something else (a rules
 * render output), an assembly without stacks, or one whose stacks carry none of elk-cdk's marks.
 */
export function readElkAssembly(dir: string): Map<string, AssemblyStack> {
  const stacks = readAssembly(dir);
  if (stacks.size === 0) throw new AssemblyError(`${dir}: the cloud assembly has no stack; is it a synth of elk-cdk?`);
  if (![...stacks.values()].some(isElkStack)) {
    throw new AssemblyError(
      `${dir}: not a cloud assembly of elk-cdk (no stack has an elk-cdk: tag or metadata, or the ElkVersion output); ` +
        'point --base/--head at the output folder of npm run synth',
    );
  }
  return stacks;
}
