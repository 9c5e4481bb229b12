/**
 * Volume hygiene (issue 17): every free data volume is reported by `elkctl roll status`, with where it came from and
 * what happens to it; nothing deletes one. The volume just detached by the handoff in progress is not an orphan.
 */
import * as path from 'path';
import type { DataVolume } from '../../lambda/rolling-replacement/adapters/volume-handoff';
import { rollStatus, simTarget } from '../../lib/rolling-replacement/rollctl';
import { freeVolumeLines, freeVolumes } from '../../lib/rolling-replacement/volume-hygiene';

const SPEC = 'gp3/200/key-1';
const vol = (
  id: string,
  o: { state?: string; instance?: string; spec?: string; tags?: Record<string, string> } = {},
): DataVolume => ({
  volumeId: id,
  state: o.state ?? 'available',
  ...(o.instance ? { instanceId: o.instance, attachment: 'attached' } : {}),
  spec: o.spec ?? SPEC,
  tags: { 'elk-cdk:zone': 'eu-west-1a', 'elk-cdk:volume-spec': o.spec ?? SPEC, ...o.tags },
});

describe('free data volumes', () => {
  test('attached volumes and the volume of the handoff in progress are not reported; every other free one is, with why', () => {
    const found = freeVolumes(
      [
        vol('vol-attached', { state: 'in-use', instance: 'i-1' }),
        vol('vol-handoff', { tags: { 'elk-cdk:detached-from': 'i-2', 'elk-cdk:detached-at': '2026-01-01T10:00:00Z' } }),
        vol('vol-drained', { tags: { 'elk-cdk:attached-to': 'i-3', 'elk-cdk:formatted': 'true' } }),
        vol('vol-old-spec', { spec: 'gp3/100/key-1', tags: { 'elk-cdk:attached-to': 'i-4' } }),
      ],
      { handoffNode: 'i-2', spec: SPEC },
    );
    expect(found.map((f) => f.volumeId)).toEqual(['vol-drained', 'vol-old-spec']);
    expect(found[0]!.why).toBe('last attached to i-3; the next data node booting in its zone attaches it');
    expect(found[1]!.why).toMatch(
      /its spec gp3\/100\/key-1 is not the group's gp3\/200\/key-1: no node attaches it again/,
    );
  });

  test('without a handoff in progress, a volume a handoff left is reported too', () => {
    const found = freeVolumes([vol('vol-1', { tags: { 'elk-cdk:detached-from': 'i-2' } })], {});
    expect(found.map((f) => f.volumeId)).toEqual(['vol-1']);
    expect(freeVolumeLines(found)[0]).toMatch(/free data volumes \(1\).*deletes none/);
    expect(freeVolumeLines([])).toEqual([]);
  });

  test('roll status lists them, and says so when they cannot be listed', async () => {
    const base = await simTarget(path.join(__dirname, '..', '..', 'sim', 'scenarios', 'ami-only.json'), 0);
    const listed = await rollStatus({
      ...base,
      dataVolumes: async () => [vol('vol-9', { tags: { 'elk-cdk:attached-to': 'i-7' } })],
    });
    expect(listed).toMatch(/free data volumes \(1\)/);
    expect(listed).toMatch(/ {2}vol-9 {2}eu-west-1a {2}last attached to i-7/);
    const failing = await rollStatus({
      ...base,
      dataVolumes: async () => {
        throw new Error('UnauthorizedOperation');
      },
    });
    expect(failing).toMatch(/free data volumes: not listed \(UnauthorizedOperation\)/);
    const none = await rollStatus(base);
    expect(none).not.toMatch(/free data volumes/);
    await base.close();
  });
});
