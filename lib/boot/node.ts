import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fakeId } from './intrinsics';
import { NodeGroup } from './fleet';
import { STUBS_DIR } from './project';
import { INSTANCE_PATH, instanceBash, makeToolsDir } from './tools';
import { World } from './world';

/** One instance of a group: its identity as IMDS and EC2 tell it. */
export interface Instance {
  readonly group: NodeGroup;
  readonly id: string;
  readonly ip: string;
  readonly hostname: string;
  readonly az: string;
  /** ISO launch time as EC2 reports it. */
  readonly launchTime: string;
  /** Sandbox root (ELK_ROOT) of this node. */
  readonly root: string;
}

export interface BootResult {
  readonly instance: Instance;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** Combined stdout and stderr of the user data. */
  readonly output: string;
  /** The step named by "<script>: FAILED at step X", or the last step started when the boot hung. */
  readonly failedStep?: string;
  readonly lastStep?: string;
  readonly ok: boolean;
  /** Wall-clock milliseconds of each named step ("<script>:<step>"), in order, from when its line appeared. */
  readonly stepMs: readonly StepTime[];
}

export interface StepTime {
  readonly step: string;
  readonly ms: number;
}

/** Times the named steps of a process's output as its lines arrive ("<script>: step <name>" starts one). */
class StepClock {
  private readonly t0 = Date.now();
  private partial = '';
  private readonly starts: Array<{ step: string; at: number }> = [];

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^([\w-]+): step ([\w-]+)$/.exec(line);
      if (m) this.starts.push({ step: `${m[1]}:${m[2]}`, at: Date.now() - this.t0 });
    }
  }

  finish(): StepTime[] {
    const end = Date.now() - this.t0;
    return this.starts.map((s, k) => ({ step: s.step, ms: (this.starts[k + 1]?.at ?? end) - s.at }));
  }
}

let serial = 0;

/** Makes an instance of `group` (not yet launched): sandbox with an AMI-like skeleton and the IMDS identity. */
export function makeInstance(world: World, group: NodeGroup, launchTime: Date, index: number): Instance {
  const n = serial++;
  const id = `i-0${fakeId(`${world.dir}/${group.groupLogicalId}/${n}`, 16)}`;
  const ip = `10.${40 + (n % 20)}.${Math.floor(n / 250) + 1}.${(n % 250) + 4}`;
  const az = `${world.stage.region}${'abc'[index % 3]}`;
  const hostname = `ip-${ip.replace(/\./g, '-')}.${world.stage.region}.compute.internal`;
  const root = path.join(world.dir, 'nodes', id);
  const instance: Instance = {
    group,
    id,
    ip,
    hostname,
    az,
    launchTime: launchTime.toISOString().replace('.000Z', '+00:00'),
    root,
  };
  for (const d of [
    'etc/systemd/system',
    'usr/lib/systemd/system',
    'var/log',
    'tmp',
    'root',
    'opt',
    'dev',
    '.rehearsal/identity',
  ]) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
  fs.writeFileSync(path.join(root, 'etc/fstab'), '');
  // The launch template's extra volumes appear under their device names (plain files here); the root volume is the
  // sandbox. A data node's own volume appears when the node attaches it (stubs/_ec2-volumes.sh).
  for (const d of group.blockDevices.filter((b) => /^\/dev\/sd[b-z]$/.test(b)))
    fs.writeFileSync(path.join(root, d), '');
  const identity: Record<string, string> = {
    token: `rehearsal-token-${id}`,
    'instance-id': id,
    'local-ipv4': ip,
    'local-hostname': hostname,
    'placement_availability-zone': az,
    placement_region: world.stage.region,
    // The instance role's credentials (the issuer stub checks the access key).
    'iam_security-credentials_': 'elk-rehearsal-node-role',
    'iam_security-credentials_elk-rehearsal-node-role': JSON.stringify({
      AccessKeyId: `ASIA${id.slice(2, 18).toUpperCase()}`,
      SecretAccessKey: 'rehearsal-secret',
      Token: 'rehearsal-session-token',
    }),
    'access-key': `ASIA${id.slice(2, 18).toUpperCase()}`,
  };
  for (const [k, v] of Object.entries(identity)) fs.writeFileSync(path.join(root, '.rehearsal/identity', k), v);
  fs.writeFileSync(path.join(root, '.rehearsal/user-data'), group.userData);
  return instance;
}

/**
 * How an instance becomes a member of its Auto Scaling group (its `aws:autoscaling:groupName` tag, which EC2 reports
 * and the certificate issuer requires): `launched` by the group (a member from the start), attached later
 * (`{ attachedAfterLooks: n }`: launched by the orchestrator with RunInstances, the tag appears from the n-th
 * describe-instances of it on), or `never` attached.
 */
export type Membership = 'launched' | { readonly attachedAfterLooks: number } | 'never';

/** EC2 now lists the instance (pending), as the Auto Scaling group launches it (or as RunInstances does). */
export function launch(world: World, i: Instance, membership: Membership = 'launched'): void {
  const cluster = i.group.tags['elk-cdk:cluster'] ?? '-';
  const role = i.group.role;
  if (membership !== 'never') {
    const after = membership === 'launched' ? '' : ` ${membership.attachedAfterLooks}`;
    fs.mkdirSync(path.join(world.dir, 'membership'), { recursive: true });
    fs.writeFileSync(path.join(world.dir, 'membership', i.id), `${i.group.groupName}${after}\n`);
  }
  fs.appendFileSync(
    path.join(world.dir, 'instances'),
    `${i.id} ${role} ${cluster} pending ${i.launchTime} ${i.ip} ${i.az}\n`,
  );
}

/**
 * EC2 lists the instance as terminated. The file is replaced at once (written beside, then renamed): nodes of the
 * fleet may be reading it while another one is replaced.
 */
export function terminate(world: World, i: Instance): void {
  const file = path.join(world.dir, 'instances');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  fs.writeFileSync(
    `${file}.new`,
    lines.map((l) => (l.startsWith(`${i.id} `) ? l.replace(' pending ', ' terminated ') : l)).join('\n'),
  );
  fs.renameSync(`${file}.new`, file);
}

export interface BootOptions {
  /** Wall-clock limit of the whole user data; a boot past it hangs (killed, the last step named). */
  readonly timeoutMs: number;
  /** Start the boot this much later (a slow instance). @default 0 */
  readonly delayMs?: number;
  /** Extra environment (tests: shorter waits). */
  readonly env?: Readonly<Record<string, string>>;
}

function steps(output: string): { failedStep?: string; lastStep?: string } {
  const failed = /: FAILED at step ([\w-]+)/.exec(output)?.[1];
  const all = [...output.matchAll(/^[\w-]+: step ([\w-]+)$/gm)].map((m) => m[1]!);
  return { failedStep: failed, lastStep: all[all.length - 1] };
}

/** Runs the instance's user data (as in the template) in its sandbox, stubs first on PATH. */
export async function boot(world: World, i: Instance, options: BootOptions): Promise<BootResult> {
  if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
  return runInSandbox(world, i, [path.join(i.root, '.rehearsal/user-data')], options);
}

const ENV_BASH = '#!/usr/bin/env bash\n';

/**
 * The stub commands as the node's processes see them: a copy of the shipped folder in the world (readable by a node
 * user who may not read the project's folder), whose "#!/usr/bin/env bash" lines name the instance PATH's bash
 * itself. A fleet calls its stubs about 400 times, and env was one more process start per call; the stubs are the
 * same scripts.
 */
export function stubsDir(world: Pick<World, 'dir'>): string {
  const copy = path.join(world.dir, 'stubs');
  if (fs.existsSync(copy)) return copy;
  fs.cpSync(STUBS_DIR, copy, { recursive: true });
  const bash = instanceBash();
  const rewrite = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) rewrite(file);
      else if (e.isFile()) {
        const text = fs.readFileSync(file, 'utf8');
        if (text.startsWith(ENV_BASH)) fs.writeFileSync(file, `#!${bash}\n${text.slice(ENV_BASH.length)}`);
      }
    }
  };
  if (bash) rewrite(copy);
  return copy;
}

/** Running as another user: the whole world (fake AWS state, every sandbox) belongs to that user. */
function handOver(world: World): void {
  if (!world.runAs) return;
  execFileSync('chown', ['-R', `${world.runAs.uid}:${world.runAs.gid}`, world.dir]);
}

/** The environment of a process on the node: the stubs first on PATH, its sandbox as ELK_ROOT. */
function sandboxEnv(world: World, i: Instance, extra?: Readonly<Record<string, string>>): Record<string, string> {
  return {
    PATH: `${stubsDir(world)}:${makeToolsDir(world.dir)}:${INSTANCE_PATH}`,
    HOME: path.join(i.root, 'root'),
    TMPDIR: path.join(i.root, 'tmp'),
    LANG: 'C.UTF-8',
    ELK_ROOT: i.root,
    ELK_REHEARSAL_WORLD: world.dir,
    ...extra,
  };
}

/** Runs `bash argv…` on the node (its sandbox), killed at the time limit; steps read from its output. */
export function runInSandbox(
  world: World,
  i: Instance,
  argv: readonly string[],
  options: Pick<BootOptions, 'timeoutMs' | 'env'>,
): Promise<BootResult> {
  const env = sandboxEnv(world, i, options.env);
  handOver(world);
  return new Promise((resolveBoot) => {
    const child = spawn('bash', [...argv], {
      cwd: i.root,
      env,
      detached: true,
      ...(world.runAs ? { uid: world.runAs.uid, gid: world.runAs.gid } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const clock = new StepClock();
    const collect = (d: Buffer) => {
      const text = d.toString();
      output += text;
      clock.feed(text);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, options.timeoutMs);
    // A process that cannot start at all (its sandbox root gone, no bash on PATH) emits 'error' and maybe no
    // 'close': without this listener the error would end the whole rehearsal unhandled. The boot fails instead, and
    // its output says why.
    let settled = false;
    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const text = `runInSandbox: bash could not start in ${i.root}: ${err.message}\n`;
      output += text;
      const s = steps(output);
      resolveBoot({
        instance: i,
        exitCode: null,
        timedOut: false,
        output,
        failedStep: s.lastStep,
        lastStep: s.lastStep,
        ok: false,
        stepMs: clock.finish(),
      });
    });
    child.on('close', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const s = steps(output);
      resolveBoot({
        instance: i,
        exitCode: code,
        timedOut,
        output,
        failedStep: s.failedStep ?? (timedOut ? s.lastStep : undefined),
        lastStep: s.lastStep,
        ok: code === 0 && !timedOut,
        stepMs: clock.finish(),
      });
    });
  });
}
