import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Client } from '@elastic/elasticsearch';
import { createEsClientFromAws } from '../../lambda/shared/es-client';
import { EsApi } from '../../sim/es/api';
import { startEsServer } from '../../sim/es/server';
import { World } from '../../sim/model/world';
import { loadScenario } from '../../sim/scenario';
import { loadEnvironment } from '../config';
import { caParameterName, regionOf } from '../rolling-replacement/rollctl';
import type { ReindexTarget } from './run';

/**
 * Where `elkctl reindex` runs: an environment's cluster (its endpoint, a user secret and the cluster CA, like
 * `elkctl roll`), or a simulator scenario served on 127.0.0.1 whose virtual clock moves when the command sleeps.
 */

/** The user `elkctl reindex` signs in as by default (it creates, reads, blocks, deletes indices and moves aliases). */
export function reindexSecretId(env: string): string {
  return `elk/${env}/users/elastic`;
}

export interface ReindexTargetOptions {
  readonly env: string;
  readonly esUrl?: string;
  readonly secretId?: string;
  /** Simulator scenario file instead of the environment. */
  readonly sim?: string;
}

export async function simReindexTarget(world: World, api = new EsApi(world)): Promise<ReindexTarget> {
  const server = await startEsServer(api);
  const client = new Client({ node: server.url, maxRetries: 0 });
  return {
    client,
    now: () => world.now,
    sleep: async (s) => world.advanceTo(world.now + s),
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

export async function openReindexTarget(o: ReindexTargetOptions): Promise<ReindexTarget> {
  if (o.sim) return simReindexTarget(new World(loadScenario(o.sim)));
  const config = loadEnvironment(o.env);
  const region = regionOf(o.env, config.region);
  const client = await createEsClientFromAws({
    node: o.esUrl ?? `https://elasticsearch.${o.env}.elk.internal:9200`,
    credentialsSecretId: o.secretId ?? reindexSecretId(o.env),
    ca: { ssmParameterName: caParameterName(o.env) },
    secretsManager: new SecretsManagerClient({ region }),
    ssm: new SSMClient({ region }),
  });
  return {
    client,
    now: () => Math.floor(Date.now() / 1000),
    sleep: (s) => new Promise((r) => setTimeout(r, s * 1000)),
    close: () => client.close(),
  };
}
