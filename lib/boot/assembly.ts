import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { loadEnvironment } from '../config';
import { ElkStage } from '../ElkStage';
import { cdkJsonContext } from './project';
import { resolve, StackContext, Template } from './intrinsics';

/** Region and account the rehearsal gives an environment that names none (an environment-agnostic stage). */
export const FAKE_REGION = 'eu-west-1';
export const FAKE_ACCOUNT = '123456789012';

export interface StageStack {
  readonly displayName: string;
  readonly ctx: StackContext;
}

export interface StageAsset {
  readonly bucket: string;
  readonly key: string;
  /** Absolute path of the staged asset in the cloud assembly (a folder for zip packaging). */
  readonly source: string;
  readonly packaging: 'zip' | 'file';
}

/** One environment's stage of a cloud assembly, intrinsics resolvable. */
export interface StageAssembly {
  readonly environment: string;
  readonly directory: string;
  readonly region: string;
  readonly account: string;
  readonly stacks: readonly StageStack[];
  readonly assets: readonly StageAsset[];
}

interface Manifest {
  artifacts?: Record<
    string,
    { type: string; environment?: string; displayName?: string; properties?: Record<string, unknown> }
  >;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Environments of a cloud assembly folder (nested assemblies named after the stage). */
export function assemblyEnvironments(cdkOut: string): string[] {
  const m = readJson<Manifest>(path.join(cdkOut, 'manifest.json'));
  return Object.values(m.artifacts ?? {})
    .filter((a) => a.type === 'cdk:cloud-assembly')
    .map((a) => String(a.properties?.displayName ?? ''))
    .filter(Boolean);
}

/**
 * Synthesizes environments in this process with the app's own constructs (ElkStage, as bin/app.ts builds them),
 * Lambda bundling skipped and without the synth-time validation plugins (they check, they do not change a template),
 * into `outdir` (default: a new temporary folder). Returns the folder.
 */
export function synthesize(environments: readonly string[], options: { outdir?: string; configDir?: string } = {}) {
  const outdir = options.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'elk-boot-cdkout-'));
  const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  for (const name of environments) new ElkStage(app, name, { config: loadEnvironment(name, options.configDir) });
  app.synth();
  return outdir;
}

/** Reads the stage of `environment` from a cloud assembly folder (`cdk.out` of `npm run synth`, or synthesize()). */
export function readStage(cdkOut: string, environment: string): StageAssembly {
  const top = readJson<Manifest>(path.join(cdkOut, 'manifest.json'));
  const nested = Object.values(top.artifacts ?? {}).find(
    (a) => a.type === 'cdk:cloud-assembly' && a.properties?.displayName === environment,
  );
  if (!nested) {
    throw new Error(
      `${cdkOut} has no stage "${environment}" (stages: ${assemblyEnvironments(cdkOut).join(', ') || 'none'})`,
    );
  }
  const directory = path.join(cdkOut, String(nested.properties!.directoryName));
  const m = readJson<Manifest>(path.join(directory, 'manifest.json'));
  const artifacts = Object.values(m.artifacts ?? {});
  const stackArtifacts = artifacts.filter((a) => a.type === 'aws:cloudformation:stack');
  const envMatch = /^aws:\/\/([^/]+)\/(.+)$/.exec(stackArtifacts[0]?.environment ?? '');
  const account = envMatch && !envMatch[1]!.startsWith('unknown') ? envMatch[1]! : FAKE_ACCOUNT;
  const region = envMatch && !envMatch[2]!.startsWith('unknown') ? envMatch[2]! : FAKE_REGION;

  const stacks: StageStack[] = [];
  const importValue = (name: string): string => {
    for (const s of stacks) {
      for (const out of Object.values(s.ctx.template.Outputs ?? {})) {
        if (out.Export && resolve(out.Export.Name, s.ctx) === name) return String(resolve(out.Value, s.ctx));
      }
    }
    throw new Error(`Fn::ImportValue ${name}: no stack of ${environment} exports it`);
  };
  const ssmValue = (name: string): string | undefined => {
    for (const s of stacks) {
      for (const r of Object.values(s.ctx.template.Resources ?? {})) {
        if (r.Type === 'AWS::SSM::Parameter' && resolve(r.Properties?.Name, s.ctx) === name) {
          return String(resolve(r.Properties?.Value, s.ctx));
        }
      }
    }
    return undefined;
  };
  for (const a of stackArtifacts) {
    const props = a.properties ?? {};
    const template = readJson<Template>(path.join(directory, String(props.templateFile)));
    const stackName = String(props.stackName ?? a.displayName);
    stacks.push({
      displayName: String(a.displayName),
      ctx: { stackName, template, region, account, importValue, ssmValue },
    });
  }

  const assets: StageAsset[] = [];
  for (const a of artifacts.filter((x) => x.type === 'cdk:asset-manifest')) {
    const am = readJson<{
      files?: Record<
        string,
        {
          source: { path: string; packaging?: string };
          destinations: Record<string, { bucketName: string; objectKey: string }>;
        }
      >;
    }>(path.join(directory, String(a.properties!.file)));
    for (const f of Object.values(am.files ?? {})) {
      for (const d of Object.values(f.destinations)) {
        assets.push({
          bucket: d.bucketName.replace('${AWS::AccountId}', account).replace('${AWS::Region}', region),
          key: d.objectKey,
          source: path.resolve(directory, f.source.path),
          packaging: f.source.packaging === 'zip' ? 'zip' : 'file',
        });
      }
    }
  }
  return { environment, directory, region, account, stacks, assets };
}
