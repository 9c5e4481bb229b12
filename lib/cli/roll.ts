import { Command, InvalidArgumentError } from 'commander';
import type { RollTarget, TargetOptions } from '../rolling-replacement/rollctl';
import { colourEnabled, colourize } from './colour';
import { UsageError } from './errors';

// Loaded when a roll command runs, not at every elkctl start (AWS SDK, Elasticsearch client, simulator).
const rollctl = () => import('../rolling-replacement/rollctl');

function nonNegative(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of seconds ≥ 0');
  return n;
}

/**
 * `elkctl roll status|plan|wait|pause|resume|abort --env NAME`: watch and control a rolling replacement with the
 * same core as the Lambdas. `--sim FILE [--at SECONDS]` runs the command against a simulated cluster instead.
 */
export function register(program: Command): void {
  const roll = program.command('roll').description('watch and control the rolling replacement of an environment');
  const withTarget = (c: Command) =>
    c
      .requiredOption('--env <name>', 'environment (config/environments/<name>.yaml)')
      .option(
        '--data-group <name>',
        'data Auto Scaling group (default: found by its elk-cdk:environment and elk-cdk:role tags)',
      )
      .option('--master-group <name>', 'master Auto Scaling group (default: found by its tags)')
      .option(
        '--es-url <url>',
        'read Elasticsearch directly (inside the VPC); default: through the reconcile function, from anywhere',
      )
      .option(
        '--function <name>',
        'reconcile function to read through (default: the name in SSM /elk/<env>/rollout/reconcile-function)',
      )
      .option(
        '--secret-id <id>',
        'with --es-url: orchestrator user secret (default elk/<env>/users/orchestrator, as the stack names it)',
      )
      .addOption(new Command().createOption('--sim <file>', 'run against a simulator scenario').hideHelp())
      .addOption(
        new Command()
          .createOption('--at <seconds>', 'with --sim: let the orchestrator run this long first')
          .argParser(nonNegative)
          .hideHelp(),
      );
  const run = async (opts: TargetOptions, f: (t: RollTarget) => Promise<string | number>) => {
    const t = await (await rollctl()).openTarget(opts);
    try {
      const r = await f(t);
      if (typeof r === 'number') process.exitCode = r;
      else process.stdout.write(r);
    } finally {
      await t.close();
    }
  };
  withTarget(roll.command('status').description('each node (old/new, draining %, bytes left), the gate, ETA'))
    .option('--report <file.html>', 'also write the roll now and its forecast as one self-contained HTML page')
    .action((o: TargetOptions & { report?: string }) =>
      run(o, async (t) => {
        const text = colourize('roll-status', await (await rollctl()).rollStatus(t), colourEnabled(process.stdout));
        if (!o.report) return text;
        const r = await (await import('../report/roll-status')).rollStatusReportHtml(t, o.env);
        if ('unknown' in r) return `${text}report not written: state unknown: ${r.unknown}\n`;
        (await import('fs')).writeFileSync(o.report, r.html);
        return `${text}report: ${o.report}\n`;
      }),
    );
  withTarget(roll.command('plan').description('the steps that would run from here, with estimates')).action(
    (o: TargetOptions) => run(o, async (t) => (await rollctl()).rollPlan(t)),
  );
  // wait, pause, resume and abort read or write Auto Scaling tags only: no Elasticsearch credentials needed.
  withTarget(
    roll
      .command('wait')
      .description('wait for the end, printing progress: exit 0 completed, 1 failed/aborted, 3 timeout'),
  )
    .option('--timeout <seconds>', 'give up after this long', nonNegative, 43200)
    .option('--rollout-id <id>', 'wait for this rollout (default: the one in progress when the wait starts)')
    .option(
      '--cdk-out <dir>',
      "after `cdk deploy --app DIR`: wait for the rollout DIR deploys (its cluster stack's RolloutId); a re-run waits for the same one",
    )
    .action(async (o: TargetOptions & { timeout: number; rolloutId?: string; cdkOut?: string }) => {
      if (o.cdkOut !== undefined && o.rolloutId !== undefined)
        throw new UsageError('roll wait: give --rollout-id or --cdk-out, not both');
      // Read before any AWS client exists: a wrong folder is bad input (exit 2), whatever the credentials.
      const fromAssembly =
        o.cdkOut === undefined
          ? undefined
          : (await import('../rolling-replacement/assembly-rollout')).rolloutIdFromAssembly(o.cdkOut, o.env);
      if (fromAssembly) process.stdout.write(`waiting for rollout ${fromAssembly} (the one ${o.cdkOut} deploys)\n`);
      return run({ ...o, elasticsearch: false }, async (t) =>
        (await rollctl()).rollWait(t, {
          timeoutSeconds: o.timeout,
          rolloutId: fromAssembly ?? o.rolloutId,
          afterDeploy: fromAssembly !== undefined,
          out: (s) => process.stdout.write(s),
        }),
      );
    });
  for (const what of ['pause', 'resume', 'abort'] as const) {
    withTarget(roll.command(what).description(`${what} the rollout in progress (a tag on the data group)`)).action(
      (o: TargetOptions) => run({ ...o, elasticsearch: false }, async (t) => (await rollctl()).rollMark(t, what)),
    );
  }
}
