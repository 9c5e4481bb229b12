import { stopWaitMark, stopWaitSince } from '../../lambda/rolling-replacement/core/stop-wait';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { FleetGroup } from '../../lambda/rolling-replacement/core/fleet-port';

const group = (mark: string | undefined) =>
  ({ tags: mark === undefined ? {} : { [TAG.stopWait]: mark } }) as FleetGroup;

describe('the stop wait is per attempt (issue 12, finding 9)', () => {
  test("the mark names the attempt, and only this attempt's mark counts", () => {
    expect(stopWaitMark({ attempt: 'a100' }, 1234.7)).toBe('a100@1234');
    expect(stopWaitSince(group('a100@1234'), { attempt: 'a100' })).toBe(1234);
    expect(stopWaitSince(group('a100@1234'), { attempt: 'a200' })).toBeUndefined();
    expect(stopWaitSince(group(undefined), { attempt: 'a100' })).toBeUndefined();
  });

  test("without an attempt (elkctl, the simulator) the mark is '-'; an older version's plain number is stale", () => {
    expect(stopWaitMark({}, 50)).toBe('-@50');
    expect(stopWaitSince(group('-@50'), {})).toBe(50);
    expect(stopWaitSince(group('-@50'), { attempt: 'a1' })).toBeUndefined();
    expect(stopWaitSince(group('1234'), {})).toBeUndefined();
    expect(stopWaitSince(group('1234'), { attempt: 'a1' })).toBeUndefined();
    expect(stopWaitSince(group('a1@'), { attempt: 'a1' })).toBeUndefined();
  });
});
