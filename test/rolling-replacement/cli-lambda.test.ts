import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import * as path from 'path';
import { readOnly } from '../../lambda/rolling-replacement/handlers/read-only';
import type { Runtime } from '../../lambda/rolling-replacement/handlers/runtime';
import type { FleetGroup } from '../../lambda/rolling-replacement/core/fleet-port';
import { observe } from '../../lambda/rolling-replacement/reconcile';
import {
  awsTarget,
  observeThroughLambda,
  rollPlan,
  rollStatus,
  simTarget,
  type RollTarget,
} from '../../lib/rolling-replacement/rollctl';

/** `elkctl roll status|plan` from outside the VPC: through the reconcile function's read-only mode (issue #14). */

const SCENARIO = path.join(__dirname, 'fixtures', 'small-upgrade.json');
const lambda = mockClient(LambdaClient);
const ssm = mockClient(SSMClient);
const sm = mockClient(SecretsManagerClient);
afterAll(() => [lambda, ssm, sm].forEach((m) => m.restore()));
beforeEach(() => [lambda, ssm, sm].forEach((m) => m.reset()));

const payload = (body: unknown) => new TextEncoder().encode(JSON.stringify(body));

/** Only the reads an observation needs; any other call (a tag, a termination, a setting) fails the test. */
function readOnlyPorts(t: RollTarget) {
  const only = <T extends object>(port: T, allowed: string[]) =>
    new Proxy(port, {
      get(target, prop, receiver) {
        if (!allowed.includes(String(prop))) throw new Error(`read-only mode called ${String(prop)}`);
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return { es: only(t.es, ['observe']), fleet: only(t.fleet, ['describeGroups']) };
}

describe('the reconcile function in read-only mode', () => {
  test('answers with the same observation the CLI would make, calling nothing but the reads', async () => {
    const t = await simTarget(SCENARIO, 400);
    try {
      const rt = { ports: async () => readOnlyPorts(t), now: () => t.now() } as unknown as Runtime;
      const r = await readOnly(
        { readOnly: 'observe', dataGroup: t.spec.groups.data, masterGroup: t.spec.groups.master },
        rt,
      );
      expect(r.observed).toEqual(await observe(t.es, t.fleet, t.spec, t.now()));
    } finally {
      await t.close();
    }
  });

  test('refuses anything else with the expected shape named', async () => {
    const rt = {} as Runtime;
    await expect(readOnly({ readOnly: 'decide', dataGroup: 'd', masterGroup: 'm' }, rt)).rejects.toThrow(
      /readOnly: .*expected \{"readOnly": "observe"/,
    );
    await expect(readOnly({ readOnly: 'observe', dataGroup: 'd' }, rt)).rejects.toThrow(/masterGroup/);
  });
});

describe('elkctl roll status and plan through the function', () => {
  test("status and plan from the function's observation are exactly those made next to the cluster", async () => {
    const t = await simTarget(SCENARIO, 400);
    try {
      const observed = await observe(t.es, t.fleet, t.spec, t.now());
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ observed }) as never });
      const remote: RollTarget = {
        ...t,
        observe: () => observeThroughLambda(new LambdaClient({ region: 'eu-west-1' }), 'elk-fn', t.spec.groups),
      };
      expect(await rollStatus(remote)).toBe(await rollStatus(t));
      expect(await rollPlan(remote)).toBe(await rollPlan(t));
      expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: 'elk-fn' });
      const sent = lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as Uint8Array;
      expect(JSON.parse(new TextDecoder().decode(sent))).toEqual({
        readOnly: 'observe',
        dataGroup: t.spec.groups.data,
        masterGroup: t.spec.groups.master,
      });
    } finally {
      await t.close();
    }
  });

  test('without --es-url: the function named in SSM, the environment region, no Elasticsearch credentials', async () => {
    const t = await simTarget(SCENARIO, 0);
    const observed = await observe(t.es, t.fleet, t.spec, t.now());
    await t.close();
    ssm.on(GetParameterCommand, { Name: '/elk/staging/rollout/reconcile-function' }).resolves({
      Parameter: { Value: 'elk-staging-reconcile' },
    });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ observed }) as never });
    const remote = await awsTarget({
      env: 'staging',
      dataGroup: t.spec.groups.data,
      masterGroup: t.spec.groups.master,
    });
    try {
      const out = await rollStatus(remote);
      const ids = (observed.fleet as readonly FleetGroup[]).flatMap((g) => g.instances.map((x) => x.instanceId));
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect(out).toContain(id);
    } finally {
      await remote.close();
    }
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: 'elk-staging-reconcile' });
    expect(sm).not.toHaveReceivedCommand(GetSecretValueCommand);
    expect(await lambda.call(0).thisValue.config.region()).toBe('eu-west-1');
  });

  test('a function error, an old function without the mode, a missing parameter: one clear line each', async () => {
    const groups = { data: 'd', master: 'm' };
    const client = new LambdaClient({ region: 'eu-west-1' });
    lambda
      .on(InvokeCommand)
      .resolvesOnce({
        FunctionError: 'Unhandled',
        Payload: payload({ errorType: 'ConnectionError', errorMessage: 'connect ETIMEDOUT 10.0.1.5:9200' }) as never,
      })
      .resolvesOnce({ Payload: payload({ status: 'running' }) as never });
    await expect(observeThroughLambda(client, 'fn', groups)).rejects.toThrow(
      'fn failed: ConnectionError: connect ETIMEDOUT 10.0.1.5:9200',
    );
    await expect(observeThroughLambda(client, 'fn', groups)).rejects.toThrow(
      /older version without the read-only mode/,
    );
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    const remote = await awsTarget({ env: 'staging', dataGroup: 'd', masterGroup: 'm' });
    try {
      await expect(rollStatus(remote)).rejects.toThrow(/no SSM parameter \/elk\/staging\/rollout\/reconcile-function/);
    } finally {
      await remote.close();
    }
  });
});
