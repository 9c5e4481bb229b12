import { parseScenario, Scenario, ScenarioInput } from '../../sim/scenario';

const GiB = 1024 ** 3;

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/** A small valid scenario (3 masters, 3 data nodes, one 6-shard index with 1 replica); override any part. */
export function scenario(overrides: DeepPartial<ScenarioInput> = {}): Scenario {
  const base: ScenarioInput = {
    name: 'test',
    seed: 1,
    // Failure detection is off here (a killed node leaves at once); test/sim/fidelity.test.ts tests it.
    model: { bootJitterSeconds: 0, detectionSeconds: 0 },
    cluster: {
      version: '8.18.2',
      masters: 3,
      dataNodes: 3,
      diskBytesPerDataNode: 1024 * GiB,
      indices: [{ name: 'logs', shards: 6, replicas: 1, docs: 6_000_000, bytes: 60 * GiB }],
    },
    change: { version: '8.19.3' },
  };
  return parseScenario(merge(base, overrides), 'test scenario');
}

function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (
    typeof a === 'object' &&
    a !== null &&
    !Array.isArray(a) &&
    typeof b === 'object' &&
    b !== null &&
    !Array.isArray(b)
  ) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = v === undefined ? undefined : merge(out[k], v);
    return out;
  }
  return b;
}

export const GIB = GiB;
