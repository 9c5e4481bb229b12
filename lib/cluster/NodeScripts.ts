import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { NodeRole } from './contract';

export const PROJECT_ROOT = path.join(__dirname, '..', '..');
/** On-instance scripts of the ES/Kibana/Logstash nodes. */
export const NODE_SCRIPTS_DIR = path.join(PROJECT_ROOT, 'scripts', 'node');
/** Node certificate and bootstrap password scripts (owned by lib/security). */
export const SECURITY_SCRIPTS_DIR = path.join(PROJECT_ROOT, 'scripts', 'security');
/** Where the scripts land on an instance. */
export const INSTANCE_BIN_DIR = '/opt/elk-cdk/bin';

/** The script families of scripts/node; every role gets the shared ones (elastic-install.sh) and its own. */
export type ScriptFamily = 'elasticsearch' | 'kibana' | 'logstash';
const FAMILY_OF_ROLE: Readonly<Record<NodeRole, ScriptFamily>> = {
  master: 'elasticsearch',
  data: 'elasticsearch',
  kibana: 'kibana',
  logstash: 'logstash',
};
/** Files of scripts/node that belong to one family only (the rest is shared). */
const FAMILY_FILES: Readonly<Record<ScriptFamily, string>> = {
  elasticsearch: 'es-*.sh',
  kibana: 'kibana-*.sh',
  logstash: 'logstash-*.sh',
};

export interface NodeScriptsProps {
  /** Folder of the node scripts. @default scripts/node */
  readonly nodeScriptsDir?: string;
  /** Folder of the security scripts. @default scripts/security */
  readonly securityScriptsDir?: string;
}

/**
 * The boot scripts as S3 assets: per script family, a zip of scripts/node without the other families' files, plus
 * scripts/security. The user data downloads and unpacks the role's assets; their content hash is part of the role's
 * launch template, so a changed boot script is a new launch template version (and a rolling replacement) of the
 * roles that run it, and of no other: a comment in kibana-boot.sh replaces no Elasticsearch node.
 */
export class NodeScripts extends Construct {
  /** Every asset (all families). */
  readonly assets: readonly Asset[];
  private readonly byFamily: Readonly<Record<ScriptFamily, Asset>>;
  private readonly security: Asset;

  constructor(scope: Construct, id: string, props: NodeScriptsProps = {}) {
    super(scope, id);
    const dir = props.nodeScriptsDir ?? NODE_SCRIPTS_DIR;
    const families = Object.keys(FAMILY_FILES) as ScriptFamily[];
    const asset = (family: ScriptFamily) =>
      new Asset(this, `Node${family[0]!.toUpperCase()}${family.slice(1)}`, {
        path: dir,
        exclude: families.filter((f) => f !== family).map((f) => FAMILY_FILES[f]),
      });
    this.byFamily = { elasticsearch: asset('elasticsearch'), kibana: asset('kibana'), logstash: asset('logstash') };
    const securityDir = props.securityScriptsDir ?? SECURITY_SCRIPTS_DIR;
    this.security = new Asset(this, 'Security', { path: securityDir });
    this.assets = [...families.map((f) => this.byFamily[f]), this.security];
    const exclude = (family: ScriptFamily) => families.filter((f) => f !== family).map((f) => FAMILY_FILES[f]);
    this.sums = new Map([
      ...families.map((f) => [this.byFamily[f], fileSums(dir, exclude(f))] as const),
      [this.security, fileSums(securityDir, [])] as const,
    ]);
  }

  /** SHA-256 of every file of an asset, by name: what the user data pins. */
  private readonly sums: ReadonlyMap<Asset, ReadonlyMap<string, string>>;

  /** The assets a role's user data installs: its family's node scripts and the security scripts. */
  assetsFor(role: NodeRole): readonly Asset[] {
    return [this.byFamily[FAMILY_OF_ROLE[role]], this.security];
  }

  /**
   * s3:GetObject on exactly the role's asset objects (Asset.grantRead would allow s3:GetObject*, s3:List* and
   * s3:GetBucket* on the whole asset bucket).
   */
  grantRead(grantee: iam.IGrantable, role: NodeRole): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: this.assetsFor(role).map((a) => a.bucket.arnForObjects(a.s3ObjectKey)),
      }),
    );
  }

  /**
   * Commands that fetch the role's assets, unpack them into a staging folder, check every file against the SHA-256
   * pinned here at synth (and that no other file came with them), and only then install them into INSTANCE_BIN_DIR.
   * A download that fails or does not match fails the boot: nothing unverified ever runs. Every local path is under
   * `rootPrefix` (the boot rehearsal's root, empty on an instance).
   */
  addInstallCommands(userData: ec2.UserData, role: NodeRole, rootPrefix = ''): void {
    const bin = `"${rootPrefix}${INSTANCE_BIN_DIR}"`;
    const work = `"${rootPrefix}/tmp/elk-cdk"`;
    const stage = `"${rootPrefix}/tmp/elk-cdk/stage"`;
    userData.addCommands(`mkdir -p ${bin} ${work}`, `rm -rf ${stage} && mkdir -p ${stage}`);
    const pinned = new Map<string, string>();
    const zips: string[] = [];
    for (const asset of this.assetsFor(role)) {
      const local = `"${rootPrefix}/tmp/elk-cdk/${asset.node.id === 'Security' ? 'security' : 'node'}.zip"`;
      userData.addCommands(`aws s3 cp 's3://${asset.s3BucketName}/${asset.s3ObjectKey}' ${local}`);
      zips.push(local);
      for (const [name, sum] of this.sums.get(asset)!) {
        if (pinned.has(name) && pinned.get(name) !== sum) throw new Error(`two script assets hold different ${name}`);
        pinned.set(name, sum);
      }
    }
    // One python3 unpacks every zip (ZipFile.extractall, as `python3 -m zipfile -e` does: no absolute or ".." paths,
    // no links made), started isolated (-I: no PYTHON* variables, no user site). python3 is on every Amazon Linux
    // 2023 image (dnf needs it), unzip is not on the minimal one; a start costs ~30 ms of CPU, the rehearsal boots a
    // whole fleet on 2 cores.
    userData.addCommands(
      `python3 -I -c 'import sys, zipfile; [zipfile.ZipFile(z).extractall(sys.argv[1]) for z in sys.argv[2:]]' ${stage}/ ${zips.join(' ')}`,
    );
    const sums = [...pinned].sort(([a], [b]) => a.localeCompare(b)).map(([name, sum]) => `${sum}  ${name}`);
    userData.addCommands(
      `cat > ${work}/SHA256SUMS <<'ELK_CDK_SCRIPT_SUMS'`,
      ...sums,
      'ELK_CDK_SCRIPT_SUMS',
      `(cd ${stage} && sha256sum --check --strict --quiet ../SHA256SUMS) || { echo "elk-cdk: the boot scripts do not match the SHA-256 pinned in this launch template (altered or wrong asset); nothing was run"; exit 1; }`,
      `[ "$(find ${stage} -mindepth 1 | wc -l)" = ${sums.length} ] || { echo "elk-cdk: the boot script assets hold files that are not pinned; nothing was run"; exit 1; }`,
      `cp ${stage}/* ${bin}/`,
      `chmod 0755 ${bin}/*.sh`,
    );
  }
}

/** SHA-256 of every file of a flat script folder, minus the `exclude` patterns (`*` wildcards, like the asset's). */
function fileSums(dir: string, exclude: readonly string[]): ReadonlyMap<string, string> {
  const patterns = exclude.map(
    (g) =>
      new RegExp(
        `^${g
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ),
  );
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (patterns.some((p) => p.test(e.name))) continue;
    if (!e.isFile()) throw new Error(`${path.join(dir, e.name)}: script folders hold files only (no folders or links)`);
    out.set(
      e.name,
      createHash('sha256')
        .update(fs.readFileSync(path.join(dir, e.name)))
        .digest('hex'),
    );
  }
  return out;
}
