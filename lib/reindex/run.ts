import type { Client } from '@elastic/elasticsearch';
import { decide, remainingSteps } from './decide';
import { ReindexEs } from './es';
import { DEFAULT_REINDEX_OPTIONS, type ReindexDecision, type ReindexObservation } from './types';

/**
 * The loop of `elkctl reindex`: for each index the pattern names, one at a time, observe → decide (pure) → act,
 * until the index is swapped or refused. Nothing is kept in the process between steps, so a crash, a Ctrl-C or a
 * second run continues from what the cluster shows.
 *
 * Output: one line per step, `<index>: <action> — <reason>` (a running task at most once a minute), then
 * `reindex: <n> swapped, <n> already done, <n> refused`. Exit code: 0 every index is swapped (or was), 1 an index
 * was refused or no index matched (nothing of it deleted), 130 interrupted (`interruptAfter`, tests).
 */

export interface ReindexTarget {
  readonly client: Client;
  now(): number;
  /** Real time, or virtual time of the simulator. */
  sleep(seconds: number): Promise<void>;
  close(): Promise<void>;
}

export interface ReindexRunOptions {
  readonly source: string;
  readonly destSuffix: string;
  readonly plan: boolean;
  readonly slices: string;
  readonly sample: number;
  readonly quietSeconds: number;
  readonly pollSeconds: number;
  readonly maxAttempts: number;
  readonly maxMismatches: number;
  readonly out: (s: string) => void;
  /** Consecutive transient errors (503, 502, 504, 429, connection) tolerated per index. @default 30 */
  readonly maxErrors: number;
  /** Stop (as a crash would) after this many actions; for tests. */
  readonly interruptAfter?: number;
}

export const DEFAULT_RUN = {
  destSuffix: '-r',
  slices: 'auto',
  sample: 100,
  quietSeconds: 60,
  pollSeconds: 10,
  maxErrors: 30,
  ...DEFAULT_REINDEX_OPTIONS,
};

export const EXIT_INTERRUPTED = 130;

/** Errors worth waiting out: no answer, or an answer that says "not now". */
export function transient(e: unknown): boolean {
  const code = (e as { meta?: { statusCode?: number } }).meta?.statusCode;
  if (code !== undefined) return [408, 429, 502, 503, 504].includes(code);
  const name = (e as Error).name;
  return name === 'ConnectionError' || name === 'TimeoutError' || name === 'NoLivingConnectionsError';
}

export async function runReindex(t: ReindexTarget, o: ReindexRunOptions): Promise<number> {
  const es = new ReindexEs(t.client);
  const found = await es.matching(o.source, o.destSuffix);
  const names = [...new Set([...found.indices, ...found.aliases])].sort();
  if (names.length === 0) {
    o.out(`reindex: no index matches ${o.source}\n`);
    return 1;
  }
  const observe = (name: string) =>
    es.observe(name, `${name}${o.destSuffix}`, { quietSeconds: o.quietSeconds, sleep: (s) => t.sleep(s) });
  const opts = { maxAttempts: o.maxAttempts, maxMismatches: o.maxMismatches };
  if (o.plan) {
    for (const name of names) {
      const obs = await observe(name);
      const d = decide(obs, opts);
      o.out(`${name} → ${obs.dest}:\n`);
      remainingSteps(obs, d).forEach((s, i) => o.out(`  ${i + 1}. ${s}\n`));
    }
    return 0;
  }
  const tally = { swapped: 0, done: 0, refused: 0 };
  let actions = 0;
  for (const name of names) {
    let mismatches = 0;
    let lastWaitLine = -Infinity;
    let first = true;
    let errors = 0;
    for (;;) {
      let obs: ReindexObservation;
      try {
        obs = await observe(name);
      } catch (e) {
        // A master election or a node restart answers 503 or drops the connection for a while: wait, then look again.
        if (!transient(e) || ++errors > o.maxErrors) throw e;
        o.out(`${name}: wait — Elasticsearch did not answer (${(e as Error).message.split('\n')[0]}); looking again\n`);
        await t.sleep(o.pollSeconds);
        continue;
      }
      let d: ReindexDecision = decide(obs, opts);
      if (d.action.type === 'verify') {
        const v = await es.verify(obs.source, obs.dest, o.sample, actions + mismatches).catch((e: unknown) => {
          if (transient(e)) return undefined;
          throw e;
        });
        if (!v) {
          await t.sleep(o.pollSeconds);
          continue;
        }
        const counted = v.destCount === v.sourceCount ? 0 : mismatches + 1;
        obs = { ...obs, verification: { ...v, mismatches: counted } };
        d = decide(obs, opts);
        mismatches = counted;
      }
      const line = `${name}: ${d.action.type} — ${d.reason}\n`;
      if (d.action.type === 'done') {
        o.out(line);
        tally[first ? 'done' : 'swapped']++;
        break;
      }
      if (d.action.type === 'refuse') {
        o.out(line);
        tally.refused++;
        break;
      }
      first = false;
      if (d.action.type === 'wait-task' || d.action.type === 'wait-counts') {
        if (t.now() - lastWaitLine >= 60 || d.action.type === 'wait-counts') {
          o.out(line);
          lastWaitLine = t.now();
        }
        errors = 0;
        await t.sleep(o.pollSeconds);
        continue;
      }
      if (o.interruptAfter !== undefined && actions >= o.interruptAfter) {
        o.out(`${name}: interrupted before ${d.action.type}\n`);
        return EXIT_INTERRUPTED;
      }
      o.out(line);
      // An action whose answer is lost is observed on the next turn (every action is checked before it is repeated).
      const task = await es.execute(obs, d.action, { slices: o.slices }).catch((e: unknown) => {
        if (!transient(e) || ++errors > o.maxErrors) throw e;
        o.out(`${name}: ${d.action.type} got no answer (${(e as Error).message.split('\n')[0]}); looking again\n`);
        return false as const;
      });
      if (task === false) {
        await t.sleep(o.pollSeconds);
        continue;
      }
      errors = 0;
      actions++;
      if (task) o.out(`${name}: started task ${task}\n`);
    }
  }
  o.out(`reindex: ${tally.swapped} swapped, ${tally.done} already done, ${tally.refused} refused\n`);
  return tally.refused > 0 ? 1 : 0;
}
