import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_STRATEGY, STRATEGY_NAMES } from '../../sim/strategies/names';
import { colourEnabled, colourize } from './colour';

// Loaded when a sim command runs, not at every elkctl start.
const simCli = () => import('../../sim/cli');

/**
 * `elkctl sim run` plays a scenario with a replacement strategy and prints the report (exit 0 completed, 1 failed or
 * timed out, 2 bad input); `elkctl sim serve` serves the simulated cluster's Elasticsearch API on 127.0.0.1.
 */
export function register(program: Command): void {
  const sim = program
    .command('sim')
    .description('simulate an Elasticsearch cluster on Auto Scaling groups and rehearse a rolling replacement');

  sim
    .command('run')
    .description('run a scenario with a strategy and print the report')
    .requiredOption('--scenario <file>', 'scenario JSON file (see docs/sim.md)')
    .option('--strategy <name>', `one of ${STRATEGY_NAMES.join(', ')}`, DEFAULT_STRATEGY)
    .option('--seed <n>', 'seed (overrides the scenario)', parseInteger)
    .option('--json', 'print the report as one JSON object')
    .option('--method <method>', "the orchestrator's rollout.method: drain, handoff or auto (overrides the scenario)")
    .option('--max-surge <k>', "the orchestrator's rollout.maxSurge (overrides the scenario)", parseInteger)
    .option(
      '--surge-placement <who>',
      "the orchestrator's rollout.surgePlacement: orchestrator or auto-scaling (overrides the scenario)",
    )
    .option('--report <file.html>', 'also write the roll as one self-contained HTML page (timeline, health, bytes)')
    .action(
      async (opts: {
        scenario: string;
        strategy: string;
        seed?: number;
        json?: boolean;
        method?: string;
        maxSurge?: number;
        surgePlacement?: string;
        report?: string;
      }) => {
        process.exitCode = await (
          await simCli()
        ).simRun(
          opts,
          (s) => process.stdout.write(colourize('sim', s, !opts.json && colourEnabled(process.stdout))),
          (s) => process.stderr.write(s),
        );
      },
    );

  sim
    .command('serve')
    .description('serve the scenario cluster on http://127.0.0.1:PORT with the clock at SPEED times real time')
    .requiredOption('--scenario <file>', 'scenario JSON file')
    .requiredOption('--port <port>', 'TCP port on 127.0.0.1 (0 picks a free one)', parseInteger)
    .option('--speed <x>', 'virtual seconds per wall second', parseFloatArg, 1)
    .option('--strategy <name>', 'also run this strategy live against the served cluster')
    .option('--seed <n>', 'seed (overrides the scenario)', parseInteger)
    .action(async (opts: { scenario: string; port: number; speed: number; strategy?: string; seed?: number }) => {
      const stop = await (await simCli()).simServe(opts, (s) => process.stdout.write(s));
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      await stop();
    });
}

function parseInteger(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError('must be an integer');
  return Number(v);
}

function parseFloatArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}
