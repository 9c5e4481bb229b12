import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from './errors';

// Loaded when the command runs, not at every elkctl start (Elasticsearch client, AWS SDK, simulator).
const run = () => import('../reindex/run');
const target = () => import('../reindex/target');

interface ReindexCliOptions {
  env: string;
  source: string;
  destSuffix: string;
  plan?: boolean;
  yes?: boolean;
  slices: string;
  sample: number;
  quietSeconds: number;
  pollSeconds: number;
  maxAttempts: number;
  esUrl?: string;
  secretId?: string;
  sim?: string;
}

function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be an integer ≥ 1');
  return Number(v);
}

function nonNegativeInt(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be an integer ≥ 0');
  return Number(v);
}

function slices(v: string): string {
  if (v !== 'auto' && !/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError('must be auto or an integer ≥ 1');
  return v;
}

function suffix(v: string): string {
  if (!/^[a-z0-9_.-]+$/.test(v)) throw new InvalidArgumentError('must be lowercase letters, digits, -, _ or .');
  return v;
}

/**
 * `elkctl reindex --env NAME --source PATTERN [--dest-suffix -r] [--plan] [--yes]`: reindex every index the pattern
 * names into `<index><suffix>` without losing a document, then replace the index by an alias of that name
 * (docs/indices.md, "Reindexing"). Exit 0 all swapped, 1 an index refused (nothing of it deleted), 2 bad input,
 * 4 Elasticsearch or AWS could not be used.
 */
export function register(program: Command): void {
  program
    .command('reindex')
    .description('reindex indices into <index><suffix> (async task, verified), then alias the old name to the copy')
    .requiredOption('--env <name>', 'environment (config/environments/<name>.yaml)')
    .requiredOption('--source <pattern>', 'indices to reindex: a name, a wildcard pattern or a comma list')
    .option('--dest-suffix <suffix>', 'the copy is named <index><suffix>', suffix, '-r')
    .option('--plan', 'print what would happen for each index and change nothing')
    .option('--yes', 'do it without asking')
    .option('--slices <n>', 'slices of each _reindex task: auto (one per shard) or a number', slices, 'auto')
    .option('--sample <n>', 'source ids looked up in the copy before the swap', positiveInt, 100)
    .option('--quiet-seconds <s>', 'an index indexed into during this many seconds is refused', nonNegativeInt, 60)
    .option('--poll-seconds <s>', 'seconds between looks at a running task', positiveInt, 10)
    .option('--max-attempts <n>', '_reindex attempts per index after failed or lost tasks', positiveInt, 3)
    .option('--es-url <url>', 'Elasticsearch URL (default https://elasticsearch.<env>.elk.internal:9200)')
    .option('--secret-id <id>', 'user secret to sign in with (default elk/<env>/users/elastic)')
    .addOption(new Command().createOption('--sim <file>', 'run against a simulator scenario').hideHelp())
    .action(async (o: ReindexCliOptions) => {
      if (!o.plan && !o.yes) {
        throw new UsageError(
          'reindex changes and deletes indices: pass --yes to do it, or --plan to see what it would do',
        );
      }
      const t = await (await target()).openReindexTarget(o);
      try {
        const r = await run();
        process.exitCode = await r.runReindex(t, {
          ...r.DEFAULT_RUN,
          source: o.source,
          destSuffix: o.destSuffix,
          plan: o.plan === true,
          slices: o.slices,
          sample: o.sample,
          quietSeconds: o.quietSeconds,
          pollSeconds: o.pollSeconds,
          maxAttempts: o.maxAttempts,
          out: (s) => process.stdout.write(s),
        });
      } finally {
        await t.close();
      }
    });
}
