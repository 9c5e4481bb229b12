/**
 * The cluster metrics collector: a scheduled Lambda in the VPC (every `alarms.collectEveryMinutes`). It reads the
 * cluster as the `metrics_collector` user and publishes `elk-cdk/Cluster` metrics, whatever state the cluster is in:
 * a cluster that does not answer is published as unreachable and red. One structured log line per collection.
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createEsClient, readCaPem, readUserSecret } from '../shared/es-client';
import { metricsFrom, soonestExpiry, type Datum } from './collect';
import { CLUSTER_NAMESPACE, CollectorEnvSchema, ENVIRONMENT_DIMENSION } from './contract';
import { clientReader, observe, type ObserveDeps } from './observe';
import { probeCertificate } from './probe';
import { listTierInstances } from './tiers';

export interface Deps {
  readonly environment: string;
  readonly observeDeps: () => Promise<ObserveDeps>;
  readonly cloudWatch: CloudWatchClient;
  readonly now: () => Date;
  readonly log: (line: Record<string, unknown>) => void;
}

/** PutMetricData takes at most 1000 data points per call; a collection has a few per node. */
const BATCH = 500;

export function toMetricData(environment: string, data: readonly Datum[], timestamp: Date): MetricDatum[] {
  return data.map((d) => ({
    MetricName: d.name,
    Value: d.value,
    Unit: d.unit,
    Timestamp: timestamp,
    Dimensions: [
      { Name: ENVIRONMENT_DIMENSION, Value: environment },
      ...Object.entries(d.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
    ],
  }));
}

export async function collect(deps: Deps): Promise<{ published: number }> {
  const now = deps.now();
  const observation = await observe(await deps.observeDeps());
  const data = metricsFrom(observation, now);
  const metricData = toMetricData(deps.environment, data, now);
  for (let i = 0; i < metricData.length; i += BATCH) {
    await deps.cloudWatch.send(
      new PutMetricDataCommand({ Namespace: CLUSTER_NAMESPACE, MetricData: metricData.slice(i, i + BATCH) }),
    );
  }
  const h = observation.health;
  const soonest = soonestExpiry(observation.certificates, now);
  deps.log({
    collected: deps.environment,
    health: h.kind === 'answered' ? h.status : h.kind,
    nodes: observation.nodes.length,
    certificates: observation.certificates.length,
    tiers: Object.fromEntries(
      (observation.tiers ?? []).map((t) => [t.tier, t.listed ? t.targets.map((x) => x.result.kind) : 'not listed']),
    ),
    soonestCertificate: soonest,
    published: metricData.length,
  });
  return { published: metricData.length };
}

let cached: { environment: string; observeDeps: () => Promise<ObserveDeps>; cloudWatch: CloudWatchClient } | undefined;

function awsDeps(): Deps {
  if (!cached) {
    const env = CollectorEnvSchema.parse(process.env);
    const sm = new SecretsManagerClient({});
    const ssm = new SSMClient({});
    let once: Promise<ObserveDeps> | undefined;
    const build = async (): Promise<ObserveDeps> => {
      const user = await readUserSecret(sm, env.USER_SECRET_ARN);
      const caPem = await readCaPem({ ssmParameterName: env.CA_PARAMETER_NAME }, { ssm, secretsManager: sm });
      const es = createEsClient({
        node: env.ES_ENDPOINT,
        servername: env.ES_SERVERNAME,
        caPem,
        username: user.username,
        password: user.password,
        requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
        maxRetries: 0,
      });
      return {
        reader: clientReader(es),
        caPem,
        probe: (host, port) => probeCertificate(host, port, { caPem, timeoutMs: 3000 }),
        ...(env.PROBE_TIERS.length > 0 && env.ISSUER_POLICY_PARAMETER_NAME
          ? {
              serviceTiers: {
                tiers: env.PROBE_TIERS,
                list: () =>
                  listTierInstances(
                    { ssm, ec2: new EC2Client({}) },
                    env.ISSUER_POLICY_PARAMETER_NAME!,
                    env.PROBE_TIERS,
                  ),
              },
            }
          : {}),
        log: (line) => console.log(JSON.stringify(line)),
      };
    };
    cached = {
      environment: env.ENVIRONMENT,
      // Built on first use and kept for the life of the container; a failed build is retried at the next collection.
      observeDeps: () => (once ??= build().catch((e: unknown) => ((once = undefined), Promise.reject(e)))),
      cloudWatch: new CloudWatchClient({}),
    };
  }
  return { ...cached, now: () => new Date(), log: (line) => console.log(JSON.stringify(line)) };
}

export async function handler(): Promise<{ published: number }> {
  return collect(awsDeps());
}
