/**
 * Offline synth of every environment (`cdk synth --quiet`, the README's main job): wall seconds and peak memory,
 * twice, plus whether the two runs wrote byte-identical templates. CPU seconds (user + system of the whole process
 * tree) are printed too: on a shared, loaded machine they are the comparable number, wall time is not. Goal on 2 cores: ≤ 15 s for four environments.
 * Printed, never asserted.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
const goal = 15;
const haveTime = fs.existsSync('/usr/bin/time');
const env = {
  ...process.env,
  NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

function templatesOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.template.json')) out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

function synth(outdir: string): {
  seconds: number;
  cpuSeconds: number;
  peakMiB: number;
  status: number | null;
  templates: number;
} {
  const cdk = [path.join(root, 'node_modules', '.bin', 'cdk'), 'synth', '--quiet', '-o', outdir];
  const cmd = haveTime ? ['/usr/bin/time', '-f', '%M %U %S', ...cdk] : cdk;
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: root, env, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // /usr/bin/time's last line: peak RSS (KiB) of the largest process, user and system CPU seconds of the tree.
  const [peakKb, user, sys] = haveTime
    ? (r.stderr.trim().split('\n').pop() ?? '').trim().split(/\s+/).map(Number)
    : [NaN, NaN, NaN];
  if (r.status !== 0) process.stderr.write(r.stderr.slice(-4000));
  return {
    seconds,
    cpuSeconds: (user ?? NaN) + (sys ?? NaN),
    peakMiB: (peakKb ?? NaN) / 1024,
    status: r.status,
    templates: templatesOf(outdir).size,
  };
}

const dirs = [1, 2].map((i) => fs.mkdtempSync(path.join(os.tmpdir(), `elk-synth-${i}-`)));
const runs = dirs.map((d) => synth(d));
const [a, b] = dirs.map(templatesOf);
const identical = a!.size > 0 && a!.size === b!.size && [...a!].every(([k, v]) => b!.get(k) === v);
for (const [i, r] of runs.entries()) {
  console.log(
    `cdk synth (all environments) run ${i + 1}: wall ${r.seconds.toFixed(1)} s   goal ≤ ${goal} s   ratio ${(r.seconds / goal).toFixed(2)}   ` +
      `CPU ${r.cpuSeconds.toFixed(1)} s   peak RSS ${r.peakMiB.toFixed(0)} MiB (largest process)   templates ${r.templates}   exit ${r.status}`,
  );
}
console.log(
  `two synths byte-identical templates: ${identical ? 'yes' : 'NO'}   load average ${os.loadavg()[0]!.toFixed(1)}`,
);
for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
process.exit(runs.every((r) => r.status === 0) ? 0 : 1);
