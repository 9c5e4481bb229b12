/**
 * Rules: time to compile and validate 500 rules (goal < 2 s on 2 cores), and the synth time the alerter stack adds
 * to an environment. Printed, never asserted. `npm run bench -- rules`
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AlerterStack } from '../lib/alerter/AlerterStack';
import { loadEnvironment } from '../lib/config';
import { buildBundle, compileRules, RuleSource, RuleValues, ruleSchema } from '../lib/rules';

const cdkContext = (
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

const values: RuleValues = {
  environment: 'bench',
  tokens: { MINUTES: 15, THRESHOLD: 50, CHANNEL: '#alerts', KIBANA: 'https://kibana.bench' },
  secrets: { HOOK: '/elk/bench/alerter/HOOK' },
};
const kinds = [
  (i: number) =>
    `name: spike ${i}\ntype: spike\nindex: logs-*\ntimeframe: {minutes: @@MINUTES@@}\nspike_height: 3\nspike_type: up\nthreshold_cur: @@THRESHOLD@@\nfilter:\n  - term: {service: svc-${i}}\nalert: [slack]\nslack_webhook_url: '@@secret:HOOK@@'\nslack_channel_override: '@@CHANNEL@@'\nkibana_discover_app_url: '@@KIBANA@@/app/discover#/'\n`,
  (i: number) =>
    `name: frequency ${i}\ntype: frequency\nindex: logs-*\nnum_events: @@THRESHOLD@@\ntimeframe:\n  minutes: @@MINUTES@@\nquery_key: user.name\nrealert: {minutes: 10}\nalert:\n  - slack\nslack_webhook_url: '@@secret:HOOK@@'\n`,
  (i: number) =>
    `name: flatline ${i}\ntype: flatline\nindex: logs-${i}-*\nthreshold: 1\ntimeframe: {minutes: @@MINUTES@@}\nalert: [slack]\nslack_webhook_url: '@@secret:HOOK@@'\n`,
];
const sources: RuleSource[] = Array.from({ length: 500 }, (_, i) => ({
  file: `rules/r${i}.yaml`,
  text: kinds[i % kinds.length]!(i),
}));

let t = process.hrtime.bigint();
ruleSchema();
const schemaMs = ms(t);
t = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const result = compileRules(sources, values);
const compileMs = ms(t);
const cpu = process.cpuUsage(cpu0);
// CPU time of this process: what the check costs, whatever else the machine runs (wall clock depends on load)
const compileCpuMs = (cpu.user + cpu.system) / 1000;
t = process.hrtime.bigint();
const bundle = buildBundle(result.rules, values, {
  environment: 'bench',
  image: 'jertel/elastalert2:2.31.0',
  runEverySeconds: 60,
  bufferTimeMinutes: 15,
});
const bundleMs = ms(t);
const errors = result.problems.filter((p) => p.severity === 'error').length;
const goal = 2000;
const total = schemaMs + compileMs + bundleMs;

function synthMs(withAlerter: boolean): number {
  const t0 = process.hrtime.bigint();
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
  const net = new Stack(app, 'Net');
  const vpc = new ec2.Vpc(net, 'Vpc', { maxAzs: 2, natGateways: 1 });
  if (withAlerter) {
    new AlerterStack(app, 'Alerter', { config: loadEnvironment('dev'), vpc, esEndpoint: 'es.dev.elk.internal' });
  }
  app.synth();
  return ms(t0);
}
synthMs(true); // warm up module loading
const runs = 5;
const pairs = Array.from({ length: runs }, () => [synthMs(false), synthMs(true)] as const);
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const without = median(pairs.map((p) => p[0]));
const withA = median(pairs.map((p) => p[1]));

console.log(
  [
    `500 rules: schema load ${schemaMs.toFixed(0)} ms + compile/validate ${compileMs.toFixed(0)} ms + bundle ${bundleMs.toFixed(0)} ms = ${total.toFixed(0)} ms   goal < ${goal} ms   ratio ${(total / goal).toFixed(2)}`,
    `           ${result.rules.length} valid, ${errors} error(s), bundle ${bundle.files.length} files, ${(compileMs / 500).toFixed(2)} ms per rule`,
    `           compile/validate CPU time ${compileCpuMs.toFixed(0)} ms (independent of the machine's load; goal < ${goal} ms, ratio ${(compileCpuMs / goal).toFixed(2)})`,
    `synth with cdk.json's flags (median of ${runs} interleaved pairs, bundling skipped): VPC stack alone ${without.toFixed(0)} ms, with AlerterStack ${withA.toFixed(0)} ms: +${(withA - without).toFixed(0)} ms (x${(withA / without).toFixed(2)})`,
  ].join('\n'),
);
process.exit(errors === 0 ? 0 : 1);
