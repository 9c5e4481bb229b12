import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DeploymentPropertiesSchema } from '../../lambda/alerter-deploy/contract';
import { currentBundleValue } from '../../lambda/alerter-deploy/core';
import { CaMaterial, caSecretString, createCa } from '../../lambda/cluster-ca/ca';
import { StageAssembly } from './assembly';
import { nodeGroups } from './fleet';
import { resolve } from './intrinsics';
import { nodePython } from './tools';

/**
 * The fake AWS state one fleet shares: files in one folder, changed under one lock (`lock`, flock) by the stubs.
 *   region, lock, instances ("id role cluster state launch-time ip az"), ssm/<name>, secrets/<id>,
 *   s3-index ("bucket key object-file"), signals, metrics, instance-health, es/ (the fake cluster),
 *   membership/<instance id> (its Auto Scaling group, stubs/_common.sh asg_member)
 * Filled from the synthesized templates as CloudFormation and the custom resources would leave it: every secret of
 * the stage (user secrets as {"username","password"}, the CA secret as the cluster-CA custom resource writes it),
 * every SSM parameter (the CA certificate), every asset of the stage in S3. The CA secret is the one the node user
 * data names as ELK_CA_SECRET_ID; it holds what the cluster-CA custom resource's own code (lambda/cluster-ca) makes.
 */
export interface World {
  readonly dir: string;
  readonly stage: StageAssembly;
  readonly ca: CaMaterial;
  /** Secret id (ARN) -> value. */
  readonly secrets: ReadonlyMap<string, string>;
  /** The user the nodes' processes run as (a rehearsal as root that proves the scripts need no root). */
  readonly runAs?: RunAs;
}

/** A numeric user and group (the process runs with exactly these ids, no supplementary groups). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

const keyFile = (k: string) => k.replace(/\//g, '%2F').replace(/:/g, '%3A');

export function writeParameter(world: World, name: string, value: string): void {
  fs.writeFileSync(path.join(world.dir, 'ssm', keyFile(name)), value);
}

/** Replaces a secret's value as `put-secret-value` would (a rotation); the world's map keeps the value of its creation. */
export function writeSecret(world: World, id: string, value: string): void {
  fs.writeFileSync(path.join(world.dir, 'secrets', keyFile(id)), value);
}

/** A secret's current value in the fake Secrets Manager (after any rotation), or undefined. */
export function readSecret(world: World, id: string): string | undefined {
  const f = path.join(world.dir, 'secrets', keyFile(id));
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined;
}

export function readParameter(world: World, name: string): string | undefined {
  const f = path.join(world.dir, 'ssm', keyFile(name));
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined;
}

let sharedCa: CaMaterial | undefined;

export function createWorld(stage: StageAssembly, dir: string, runAs?: RunAs): World {
  for (const d of ['ssm', 'secrets', 'es', 'nodes', 'membership']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'region'), stage.region);
  for (const f of ['lock', 'instances', 'signals', 'metrics', 'instance-health', 'ssm-writes.log'])
    fs.writeFileSync(path.join(dir, f), '');
  // One CA per process: key generation is the slow part, and its value does not matter to the rehearsal.
  sharedCa ??= createCa({
    commonName: 'elk-cdk rehearsal CA',
    organization: 'elk-cdk',
    validityDays: 3650,
    now: new Date(),
  });
  const secrets = new Map<string, string>();
  const world: World = { dir, stage, ca: sharedCa, secrets, runAs };
  // The issuer stub signs with this CA, as the issuer Lambda signs with the cluster CA.
  fs.writeFileSync(path.join(dir, 'ca.crt'), sharedCa.certPem);
  fs.writeFileSync(path.join(dir, 'ca.key'), sharedCa.keyPem, { mode: 0o600 });

  const caSecretIds = new Set(
    nodeGroups(stage).flatMap((g) => [...g.userData.matchAll(/ELK_CA_SECRET_ID='([^']+)'/g)].map((m) => m[1]!)),
  );
  for (const { ctx } of stage.stacks) {
    const resources = ctx.template.Resources ?? {};
    const caResources = Object.entries(resources).filter(([, r]) => r.Type === 'Custom::ElkClusterCa');
    for (const [id, res] of Object.entries(resources)) {
      const p = res.Properties ?? {};
      if (res.Type === 'AWS::SecretsManager::Secret') {
        const arn = String(resolve({ Ref: id }, ctx));
        const gen = p.GenerateSecretString as
          { SecretStringTemplate?: string; GenerateStringKey?: string; PasswordLength?: number } | undefined;
        let value: string;
        if (caSecretIds.has(arn)) value = caSecretString(world.ca);
        else if (gen?.SecretStringTemplate)
          value = JSON.stringify({
            ...(JSON.parse(gen.SecretStringTemplate) as object),
            // as long as Secrets Manager would make it (Kibana's encryption keys are cut from one long value)
            [gen.GenerateStringKey ?? 'password']: `rehearsal${randomBytes(64).toString('hex')}`.slice(
              0,
              Math.max(25, gen.PasswordLength ?? 25),
            ),
          });
        else value = `rehearsal${randomBytes(12).toString('hex')}`;
        secrets.set(arn, value);
        fs.writeFileSync(path.join(dir, 'secrets', keyFile(arn)), value);
      }
      if (res.Type === 'AWS::SSM::Parameter') {
        const fromCa = caResources.some(([caId]) => JSON.stringify(p.Value ?? '').includes(`"${caId}"`));
        writeParameter(world, String(resolve(p.Name, ctx)), fromCa ? world.ca.certPem : String(resolve(p.Value, ctx)));
      }
    }
  }

  fs.writeFileSync(
    path.join(dir, 's3-index'),
    bucketObjects(stage, dir, runAs)
      .map((o, n) => `${stage.assets[n]!.bucket} ${stage.assets[n]!.key} ${o}\n`)
      .join(''),
  );
  // Rule secrets the operator creates (alerter.secrets): every parameter the rule bundle's secrets.txt names.
  for (const a of stage.assets.filter((x) => x.source.endsWith('.tar'))) {
    let listing = '';
    try {
      listing = execFileSync('tar', ['-xOf', a.source, 'secrets.txt'], { encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const line of listing.split('\n')) {
      const name = line.trim().split(/\s+/)[1];
      if (name) writeParameter(world, name, `rehearsal-${randomBytes(6).toString('hex')}`);
    }
  }
  return world;
}

/**
 * The asset bucket's objects, one file each: a folder asset zipped as CDK uploads it (all of them at once, with one
 * python3, when the world is made: zipping at each download was a python3 per node and asset), a file asset itself
 * or, running as another user (who may not read the assembly's folder), a copy.
 */
function bucketObjects(stage: StageAssembly, dir: string, runAs: RunAs | undefined): string[] {
  fs.mkdirSync(path.join(dir, 's3'), { recursive: true });
  const zips: string[] = [];
  const objects = stage.assets.map((a, n) => {
    if (a.packaging === 'zip') {
      const zip = path.join(dir, 's3', `${n}-${path.basename(a.source)}.zip`);
      zips.push(a.source, zip);
      return zip;
    }
    if (!runAs) return a.source;
    const copy = path.join(dir, 's3', `${n}-${path.basename(a.source)}`);
    fs.copyFileSync(a.source, copy);
    return copy;
  });
  if (zips.length > 0) {
    const zipAll = [
      'import os, sys, zipfile',
      'args = sys.argv[1:]',
      'for src, dest in zip(args[::2], args[1::2]):',
      '    with zipfile.ZipFile(dest, "w") as z:',
      '        for root, _, files in os.walk(src):',
      '            for f in sorted(files):',
      '                p = os.path.join(root, f)',
      '                z.write(p, os.path.relpath(p, src))',
    ].join('\n');
    execFileSync(nodePython()?.file ?? 'python3', ['-c', zipAll, ...zips]);
  }
  return objects;
}

/**
 * What the alerter's rule-deploy custom resource records after a successful deployment (its own code builds the
 * value): a replacement alerter instance boots with it and deploys that bundle.
 */
export function recordAlerterDeployment(world: World): boolean {
  let recorded = false;
  for (const { ctx } of world.stage.stacks) {
    for (const res of Object.values(ctx.template.Resources ?? {})) {
      if (res.Type !== 'Custom::AlerterRuleDeployment') continue;
      const { ServiceToken: _token, ...props } = resolve(res.Properties, ctx) as Record<string, unknown>;
      const p = DeploymentPropertiesSchema.parse(props);
      writeParameter(world, p.CurrentBundleParameter, JSON.stringify(currentBundleValue(p)));
      recorded = true;
    }
  }
  return recorded;
}
