/**
 * The EC2 and SSM half of a volume handoff (FleetPort.handOffInstance), SDK v3: stop Elasticsearch on the node and
 * unmount its data volume (SSM Run Command), detach the volume (kept, free in its zone), then the caller terminates
 * the instance without decrement. Each call does as much as it can within `waitSeconds` and throws when something is
 * still in progress; the reconcile loop retries the same step, and every part is idempotent (a stop command already
 * sent is found again by its comment, a detached volume is not detached twice).
 */
import {
  CreateTagsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type EC2Client,
  type Volume,
} from '@aws-sdk/client-ec2';
import {
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import {
  DATA_VOLUME_GROUP,
  VOLUME_TAG_ATTACHED_TO,
  VOLUME_TAG_DETACHED_AT,
  VOLUME_TAG_DETACHED_FROM,
  VOLUME_TAG_ENVIRONMENT,
  VOLUME_TAG_GROUP,
  VOLUME_TAG_SPEC,
} from '../../shared/data-volume';

export interface VolumeHandoffOptions {
  /** The environment whose data volumes these are (tag elk-cdk:environment). */
  readonly environment: string;
  /** Mount point of the data volume on the node. */
  readonly dataPath: string;
  /** Longest wait inside one call (stop command, detach). @default 60 */
  readonly waitSeconds?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default new Date() */
  readonly now?: () => Date;
}

/** A data volume as the adapter sees it. */
export interface DataVolume {
  readonly volumeId: string;
  readonly state: string;
  /** The instance it is attached (or attaching, detaching) to. */
  readonly instanceId?: string;
  readonly attachment?: string;
  readonly spec?: string;
  readonly tags: Readonly<Record<string, string>>;
}

const tagsOf = (v: Volume): Record<string, string> =>
  Object.fromEntries((v.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

function toDataVolume(v: Volume): DataVolume {
  const tags = tagsOf(v);
  const a = v.Attachments?.[0];
  return {
    volumeId: v.VolumeId!,
    state: v.State ?? 'unknown',
    ...(a?.InstanceId ? { instanceId: a.InstanceId, attachment: a.State ?? 'unknown' } : {}),
    ...(tags[VOLUME_TAG_SPEC] ? { spec: tags[VOLUME_TAG_SPEC] } : {}),
    tags,
  };
}

/** The comment that identifies the stop command of one handoff (found again by a retry). */
export const stopComment = (instanceId: string): string => `elk-cdk handoff: stop ${instanceId}`;

/** The shell commands the node runs: Elasticsearch stopped, files flushed, the data volume unmounted. */
export function stopCommands(dataPath: string): string[] {
  return [
    'set -eu',
    'systemctl stop elasticsearch',
    'sync',
    `if mountpoint -q '${dataPath}'; then umount '${dataPath}'; fi`,
    `echo 'elk-cdk handoff: elasticsearch stopped, ${dataPath} unmounted'`,
  ];
}

export class VolumeHandoff {
  /** Calls sent (for metrics and the benchmark). */
  requests = 0;
  private readonly waitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;

  constructor(
    private readonly ec2: EC2Client,
    private readonly ssm: SSMClient,
    private readonly options: VolumeHandoffOptions,
  ) {
    this.waitMs = (options.waitSeconds ?? 60) * 1000;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? (() => new Date());
  }

  /** Every data volume of the environment (attached or free). */
  async dataVolumes(): Promise<DataVolume[]> {
    const out: DataVolume[] = [];
    let token: string | undefined;
    do {
      this.requests++;
      const r = await this.ec2.send(
        new DescribeVolumesCommand({
          Filters: [
            { Name: `tag:${VOLUME_TAG_ENVIRONMENT}`, Values: [this.options.environment] },
            { Name: `tag:${VOLUME_TAG_GROUP}`, Values: [DATA_VOLUME_GROUP] },
          ],
          NextToken: token,
        }),
      );
      out.push(...(r.Volumes ?? []).map(toDataVolume));
      token = r.NextToken;
    } while (token);
    return out;
  }

  /**
   * Elasticsearch stopped and the data volume detached from `instanceId`. Throws while the stop command or the
   * detachment is still in progress (the next step retries), or when the stop command failed (with its output).
   */
  async stopAndDetach(instanceId: string): Promise<void> {
    const volume = (await this.dataVolumes()).find(
      (v) =>
        v.instanceId === instanceId || (v.instanceId === undefined && v.tags[VOLUME_TAG_ATTACHED_TO] === instanceId),
    );
    // No volume of this environment was ever attached to it: nothing to keep (the core checked its copies).
    if (!volume || volume.instanceId === undefined) return;
    if (volume.attachment === 'attached' || volume.attachment === 'attaching') {
      await this.stopElasticsearch(instanceId);
      this.requests++;
      await this.ec2.send(new DetachVolumeCommand({ VolumeId: volume.volumeId, InstanceId: instanceId }));
    }
    await this.waitAvailable(volume.volumeId);
    this.requests++;
    await this.ec2.send(
      new CreateTagsCommand({
        Resources: [volume.volumeId],
        Tags: [
          { Key: VOLUME_TAG_DETACHED_AT, Value: this.now().toISOString() },
          { Key: VOLUME_TAG_DETACHED_FROM, Value: instanceId },
        ],
      }),
    );
  }

  private async waitAvailable(volumeId: string): Promise<void> {
    const until = Date.now() + this.waitMs;
    for (;;) {
      this.requests++;
      const r = await this.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
      const state = r.Volumes?.[0]?.State;
      if (state === 'available') return;
      if (Date.now() >= until) throw new Error(`${volumeId} is still ${state ?? 'unknown'} (detaching)`);
      await this.sleep(2000);
    }
  }

  /** Runs the stop command once (a retry finds it by its comment) and waits for its result. */
  private async stopElasticsearch(instanceId: string): Promise<void> {
    const comment = stopComment(instanceId);
    this.requests++;
    const listed = await this.ssm.send(new ListCommandInvocationsCommand({ InstanceId: instanceId, MaxResults: 50 }));
    const previous = (listed.CommandInvocations ?? []).find(
      (c) => c.Comment === comment && ['Pending', 'InProgress', 'Delayed', 'Success'].includes(c.Status ?? ''),
    );
    let commandId = previous?.CommandId;
    if (!commandId) {
      this.requests++;
      const sent = await this.ssm.send(
        new SendCommandCommand({
          InstanceIds: [instanceId],
          DocumentName: 'AWS-RunShellScript',
          Comment: comment,
          TimeoutSeconds: 600,
          Parameters: { commands: stopCommands(this.options.dataPath), executionTimeout: ['600'] },
        }),
      );
      commandId = sent.Command?.CommandId;
      if (!commandId) throw new Error(`SendCommand to ${instanceId} returned no command id`);
    }
    const until = Date.now() + this.waitMs;
    for (;;) {
      let status: string | undefined;
      let output = '';
      try {
        this.requests++;
        const r = await this.ssm.send(
          new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
        );
        status = r.Status;
        output = `${r.StandardOutputContent ?? ''}${r.StandardErrorContent ?? ''}`.trim();
      } catch (e) {
        // Right after SendCommand the invocation may not exist yet.
        if ((e as { name?: string }).name !== 'InvocationDoesNotExist') throw e;
      }
      if (status === 'Success') return;
      if (status && ['Failed', 'Cancelled', 'TimedOut', 'Cancelling'].includes(status)) {
        throw new Error(`stopping Elasticsearch on ${instanceId} ${status}: ${output.slice(-500)}`);
      }
      if (Date.now() >= until)
        throw new Error(`Elasticsearch on ${instanceId} is still stopping (${status ?? 'sent'})`);
      await this.sleep(2000);
    }
  }
}

/**
 * Why an instance's volume cannot be handed off, or undefined when it can: no data volume of the environment is
 * attached to it (a launch-template volume deleted with the instance), or its spec is not what the group asks for
 * now (a storage change: the replacement needs a new volume).
 */
export function handoffBlocked(volume: DataVolume | undefined, wanted: string): string | undefined {
  if (!volume) return 'no data volume of its own is attached (its data is on a volume deleted with the instance)';
  if (volume.spec !== wanted) {
    return `a storage change: its data volume ${volume.volumeId} is ${volume.spec ?? 'without a spec tag'}, the group asks for ${wanted}`;
  }
  return undefined;
}
