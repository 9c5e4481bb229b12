import { blockedIntervals, nodeLane } from '../../lib/report/model';

describe('roll report data', () => {
  const steps = [
    { t: 10, action: 'surge', node: 'elk-data' },
    { t: 200, action: 'wait-for-join (replacement-joins-in-time)', node: 'elk-data' },
    { t: 400, action: 'exclude', node: 'i-1' },
    { t: 500, action: 'wait-for-drain (strictly-drained)', node: 'i-1' },
    { t: 520, action: 'sim:asg-launch', node: 'i-9' },
    { t: 900, action: 'terminate', node: 'i-1' },
    { t: 950, action: 'wait (previous-replacement-complete)' },
    { t: 1000, action: 'wait (previous-replacement-complete)' },
    { t: 1100, action: 'release' },
  ];

  it('an old node serves until its exclusion, drains until its termination, then terminates', () => {
    const lane = nodeLane(
      { id: 'i-1', role: 'data', initial: true, launchedAt: 0, joinedAt: 0, terminatedAt: 930 },
      steps,
      1200,
    );
    expect(lane).toEqual({
      label: 'i-1 (data)',
      phases: [
        { phase: 'serving', from: 0, to: 400 },
        { phase: 'drain', from: 400, to: 900 },
        { phase: 'terminate', from: 900, to: 930 },
      ],
    });
  });

  it('a surge node boots until it joins, then serves to the end', () => {
    const lane = nodeLane({ id: 'i-9', role: 'data', initial: false, launchedAt: 10, joinedAt: 250 }, steps, 1200);
    expect(lane.phases).toEqual([
      { phase: 'surge', from: 10, to: 250 },
      { phase: 'serving', from: 250, to: 1200 },
    ]);
  });

  it('a node handed off serves until the handoff begins, then is in handoff until it is gone', () => {
    const handoff = [
      { t: 300, action: 'handoff-begin', node: 'i-2' },
      { t: 320, action: 'handoff-stop', node: 'i-2' },
      { t: 600, action: 'handoff-rejoined', node: 'i-2' },
    ];
    const lane = nodeLane(
      { id: 'i-2', role: 'data', initial: true, launchedAt: 0, joinedAt: 0, terminatedAt: 380 },
      handoff,
      1200,
    );
    expect(lane.phases).toEqual([
      { phase: 'serving', from: 0, to: 300 },
      { phase: 'handoff', from: 300, to: 380 },
      { phase: 'terminate', from: 380, to: 380 },
    ]);
  });

  it('a node that never joined is surge until the end, and never serving', () => {
    const lane = nodeLane({ id: 'i-8', role: 'master', initial: false, launchedAt: 100 }, [], 1200);
    expect(lane.phases).toEqual([{ phase: 'surge', from: 100, to: 1200 }]);
  });

  it('a blocking predicate lasts until the next action; repeats of the same one merge; sim notes do not cut it', () => {
    expect(blockedIntervals(steps, 1200)).toEqual([
      { predicate: 'replacement-joins-in-time', from: 200, to: 400 },
      { predicate: 'strictly-drained', from: 500, to: 900 },
      { predicate: 'previous-replacement-complete', from: 950, to: 1100 },
    ]);
  });
});
