/**
 * `elkctl roll status` after a stop that found Elasticsearch unreachable (issue 12, finding 9): what the stop left in
 * place (tag elk-cdk:rollout-left) is printed while Elasticsearch is still down, and no longer once the cleanup ran.
 */
import { specFromProperties, type WorkflowState } from '../../lambda/rolling-replacement/contract';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { onEvent } from '../../lambda/rolling-replacement/handlers/provider';
import { setRuntime } from '../../lambda/rolling-replacement/handlers/runtime';
import { handler as reconcileTask } from '../../lambda/rolling-replacement/handlers/workflow';
import { rollStatus } from '../../lib/rolling-replacement/rollctl';
import { FakeWorld } from './fake-world';
import { FakeRuntime, event, props } from './fake-runtime';

let rt: FakeRuntime;
let world: FakeWorld;
beforeEach(() => {
  world = new FakeWorld();
  rt = new FakeRuntime(world);
  setRuntime(rt);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  setRuntime(undefined);
  jest.restoreAllMocks();
});

async function run(first: WorkflowState, until: (s: WorkflowState) => boolean = () => false, max = 400) {
  let s = first;
  for (let i = 0; i < max && s.status === 'running' && !until(s); i++) {
    s = await reconcileTask(s);
    world.tick();
    rt.clock += s.waitSeconds;
  }
  return s;
}

const status = () =>
  rollStatus({
    es: world,
    fleet: world,
    spec: specFromProperties(props(), 'roll'),
    model: { recoveryBytesPerSecond: 40 * 1024 * 1024, joinSeconds: 140, pollSeconds: 30 },
    now: () => rt.clock,
    sleep: async () => undefined,
    close: async () => undefined,
  });

test('roll abort with Elasticsearch down: roll status names what the stop left, until the cleanup has run', async () => {
  await onEvent(event('Create'));
  let s = rt.started[0]!.input;
  for (let i = 0; i < 20 && world.exclude.length === 0; i++) {
    s = await reconcileTask(s);
    world.tick();
    rt.clock += 30;
  }
  expect(world.exclude).toHaveLength(1);
  world.group('data-asg').tags[TAG.abort] = 'requested';
  world.esDown = true;
  const gaveUp = await run(s, () => rt.signals.length > 0);
  expect(gaveUp.status).toBe('running');

  const down = await status();
  expect(down).toMatch(/^state unknown: /);
  expect(down).toMatch(/left in place by a stop without Elasticsearch: .*left in place: allocation exclusions of i-/);

  world.esDown = false;
  expect((await run(gaveUp)).status).toBe('aborted');
  expect(await status()).not.toMatch(/left in place/);
});
