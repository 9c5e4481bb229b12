/**
 * The zone rule of the next node to drain (candidate.ts) with exactly two zones (issue 21): the zone search
 * (zone-order.ts) applies there too, and may prefer the emptier zone to the fullest one.
 */
import { isAction, reach } from './gate-worlds';

test('with two zones, drains the node whose removal ends the roll balanced, not the one in the fullest zone', async () => {
  // Two data nodes, i-1 in zone a and i-2 in zone b; the surge instance lands in a (a tie: the first zone). Taking
  // i-1 (the fullest zone, and the lowest id) leaves a 1/1 that the next surge can unbalance to 2/0 after i-2 goes
  // (a zone-rebalance cycle, whichever zone Auto Scaling picks in that tie); taking i-2 leaves 2/0, the next surge
  // lands in b and the roll ends 1/1.
  const { decision } = await reach(isAction('exclude'), { data: 2, zones: ['eu-west-1a', 'eu-west-1b'] });
  expect(decision.action).toMatchObject({ type: 'exclude', node: 'i-00000002' });
});
