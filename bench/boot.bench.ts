/**
 * The boot rehearsal (`elkctl boot rehearse`) of every environment's fleet, from one in-process synth: wall seconds
 * and CPU seconds (this process and its finished children: the boot scripts and stubs) per fleet and per node boot.
 * On a shared, loaded machine the CPU seconds are the comparable number. Goal (issue 10): a few seconds per fleet.
 * Then where a boot's wall time goes: the named steps of every boot, slowest first (mean and total over the fleets).
 * Printed, never asserted.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readStage, rehearseStage, synthesize } from '../lib/boot';

const envDir = path.join(__dirname, '..', 'config', 'environments');
const environments = fs
  .readdirSync(envDir)
  .filter((f) => f.endsWith('.yaml') && f !== 'default.yaml')
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

/** CPU seconds of this process plus its waited-for children (Linux /proc; 0 for children elsewhere). */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    children = (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, clock ticks
  } catch {
    /* not Linux */
  }
  return (own.user + own.system) / 1e6 + children;
}

async function main() {
  process.stdout.write(`load average at start: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores\n`);
  let t = Date.now();
  let c = cpuSeconds();
  const cdkOut = synthesize(environments);
  process.stdout.write(
    `synth of ${environments.length} environments (in-process): ${((Date.now() - t) / 1000).toFixed(1)} s wall, ${(cpuSeconds() - c).toFixed(1)} s CPU\n\n`,
  );
  process.stdout.write('environment  nodes booted  wall s  CPU s  CPU s per boot  ok\n');
  const steps = new Map<string, { ms: number; n: number }>();
  try {
    for (const env of environments) {
      t = Date.now();
      c = cpuSeconds();
      const r = await rehearseStage(readStage(cdkOut, env), { environment: env, scenarios: ['fleet'] });
      const wall = (Date.now() - t) / 1000;
      const cpu = cpuSeconds() - c;
      const boots = r.scenarios.reduce((n, s) => n + s.nodes.length, 0);
      for (const s of r.scenarios.flatMap((x) => x.nodes).flatMap((x) => x.stepMs)) {
        const acc = steps.get(s.step) ?? { ms: 0, n: 0 };
        steps.set(s.step, { ms: acc.ms + s.ms, n: acc.n + 1 });
      }
      process.stdout.write(
        `${env.padEnd(12)} ${String(boots).padStart(12)}  ${wall.toFixed(1).padStart(6)}  ${cpu.toFixed(1).padStart(5)}  ${(cpu / boots).toFixed(2).padStart(14)}  ${r.ok}\n`,
      );
    }
    process.stdout.write(
      `load average at the end: ${os.loadavg()[0]!.toFixed(1)}\n\nstep (wall, nodes booting together)  boots  mean s  total s\n`,
    );
    for (const [step, { ms, n }] of [...steps].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
      process.stdout.write(
        `${step.padEnd(36)} ${String(n).padStart(5)}  ${(ms / n / 1000).toFixed(2).padStart(6)}  ${(ms / 1000).toFixed(1).padStart(7)}\n`,
      );
    }
  } finally {
    fs.rmSync(cdkOut, { recursive: true, force: true });
  }
}

void main();
