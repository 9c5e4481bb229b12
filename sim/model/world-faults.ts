import type { Fault } from '../scenario';
import { settingText } from '../fault-schema';
import { isActive } from './fleet';
import { recordWrites } from './indices-data';
import type { Copy, Index } from './cluster-types';
import type { SimSnapshot, SnapshotRequest } from './snapshots';
import { SimTask, WindowFault } from './windows';
import { round3 } from './world-base';
import { WorldLaunch } from './world-launch';

/** The scheduled faults of a scenario (one-off and windows), write-load, long tasks and hourly index creation. */
export abstract class WorldFaults extends WorldLaunch {
  /** write-load: documents indexed during [a, b). */
  protected write(a: number, b: number): void {
    for (const { window, seconds } of this.windows.overlapping('write-load', a, b)) {
      if (window.kind !== 'write-load') continue;
      const exact = (this.writeCarry.get(window) ?? 0) + window.docsPerSecond * seconds;
      const count = Math.floor(exact);
      this.writeCarry.set(window, exact - count);
      if (count === 0) continue;
      const index = window.index
        ? this.cluster.indices.find((i) => i.name === window.index)
        : this.cluster.indices.reduce<(typeof this.cluster.indices)[number] | undefined>(
            (newest, i) => (newest === undefined || i.createdAt >= newest.createdAt ? i : newest),
            undefined,
          );
      if (!index || !this.cluster.master || index.settings.get('index.blocks.write') === 'true') {
        this.writesRejected += count;
        continue;
      }
      const r = this.cluster.write(index, count);
      recordWrites(index, r.acked, this.now);
      this.documentsIndexed += r.acked;
      this.writesRejected += r.rejected;
    }
  }

  protected openWindow(f: WindowFault): void {
    if (f.kind === 'voting-exclusion-timeout') this.cluster.reconfigurationStalled = true;
    if (f.kind === 'nodes-info-partial') {
      const joined = this.cluster.joinedNodes().sort((a, b) => a.name.localeCompare(b.name));
      const victim = f.node ?? (joined.length > 0 ? this.rng.pick(joined).name : undefined);
      if (victim) this.windows.omitted.set(f, victim);
    }
  }

  /** Tasks whose node went away are killed with it. */
  protected killOrphanTasks(): void {
    for (const t of this.tasks) {
      if (t.state !== 'running') continue;
      const n = this.cluster.nodes.get(t.node);
      if (n && (n.state === 'joined' || n.state === 'leaving')) continue;
      t.state = 'killed';
      t.killedAt = this.now;
      this.tasksKilled++;
      this.note(
        'task-killed',
        t.node,
        `task ${t.action} killed: its node left after ${round3(this.now - t.startedAt)} s`,
      );
    }
  }

  /** Picks the fault's node: the one named, else one of the role's nodes in the state wanted, with the seed. */
  protected faultVictim(
    node: string | undefined,
    role: 'master' | 'data',
    states: readonly string[],
  ): string | undefined {
    if (node) return node;
    const nodes = [...this.cluster.nodes.values()]
      .filter((n) => {
        const inst = this.instances.get(n.name)!;
        return n.group === role && states.includes(n.state) && isActive(inst) && !inst.unattached;
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    return nodes.length > 0 ? this.rng.pick(nodes).name : undefined;
  }

  protected createHourlyIndex(): void {
    const spec = this.scenario.cluster.hourlyIndex!;
    if (!this.cluster.master) {
      this.queue.push(this.now + 10, { kind: 'hourly' });
      return;
    }
    const d = new Date(this.startEpochMs + Math.round(this.now * 1000));
    const p = (n: number) => String(n).padStart(2, '0');
    const name = `${spec.prefix}${d.getUTCFullYear()}.${p(d.getUTCMonth() + 1)}.${p(d.getUTCDate())}.${p(d.getUTCHours())}`;
    if (!this.cluster.indices.some((i) => i.name === name)) {
      this.cluster.createIndex({ ...spec, name });
    }
    const next = (Math.floor((this.startEpochMs + this.now * 1000) / 3_600_000) + 1) * 3_600_000;
    this.queue.push((next - this.startEpochMs) / 1000, { kind: 'hourly' });
  }

  protected applyFault(f: Fault): void {
    switch (f.kind) {
      case 'scale-in': {
        const g = this.group(this.groupNames[f.role]);
        const desired = Math.max(0, g.desired - f.count);
        if (desired < g.minSize) g.minSize = desired;
        this.note('scale-in', undefined, `fault scale-in: ${g.name} desired capacity ${g.desired} → ${desired}`);
        g.desired = desired;
        this.reconcileFleet(g);
        return;
      }
      case 'scale-out': {
        const g = this.group(this.groupNames[f.role]);
        const desired = g.desired + f.count;
        if (desired > g.maxSize) g.maxSize = desired;
        this.note('scale-out', undefined, `fault scale-out: ${g.name} desired capacity ${g.desired} → ${desired}`);
        g.desired = desired;
        this.reconcileFleet(g);
        return;
      }
      case 'terminate': {
        const id = this.faultVictim(f.node, f.role ?? 'data', ['joined', 'leaving', 'booting', 'pending']);
        const inst = id ? this.instances.get(id) : undefined;
        if (!inst || !isActive(inst)) {
          this.note('fault-skipped', id, `terminate: no running ${f.role ?? 'data'} instance`);
          return;
        }
        this.note('terminate', id, 'fault terminate: TerminateInstanceInAutoScalingGroup without decrement');
        this.terminateInstance(inst.id, false);
        return;
      }
      case 'cluster-setting': {
        if (!this.cluster.master) {
          this.queue.push(this.now + 10, { kind: 'fault', fault: f });
          return;
        }
        this.note(
          'cluster-setting',
          undefined,
          `fault cluster-setting: persistent ${f.key}=${JSON.stringify(f.value)}`,
        );
        this.cluster.applySettings('persistent', new Map([[f.key, settingText(f.value)]]));
        return;
      }
      case 'index-setting': {
        const index = this.cluster.indices.find((i) => i.name === f.index);
        if (!index || !this.cluster.master) {
          if (!index) this.note('fault-skipped', undefined, `index-setting: no index ${f.index} (yet)`);
          else this.queue.push(this.now + 10, { kind: 'fault', fault: f });
          return;
        }
        this.note('index-setting', undefined, `fault index-setting: ${f.index} ${f.key}=${JSON.stringify(f.value)}`);
        this.cluster.applyIndexSettings(index, new Map([[f.key, settingText(f.value)]]));
        return;
      }
      case 'es-process-down': {
        const id = this.faultVictim(f.node, f.role ?? 'data', ['joined', 'leaving']);
        const node = id ? this.cluster.nodes.get(id) : undefined;
        if (!id || !node || (node.state !== 'joined' && node.state !== 'leaving')) {
          this.note('fault-skipped', id, `es-process-down: no joined ${f.role ?? 'data'} node`);
          return;
        }
        this.note(
          'es-process-down',
          id,
          `fault es-process-down: Elasticsearch stops, the instance stays InService and healthy${f.for ? ` (back in ${f.for} s)` : ''}`,
        );
        this.cluster.leave(id, true);
        if (f.for) this.queue.push(this.now + f.for, { kind: 'es-restart', id });
        return;
      }
      case 'snapshot':
        this.startSnapshot(f);
        return;
      case 'unattached-dies':
        this.unattachedDie();
        return;
      case 'task': {
        const node = this.cluster.nodes.get(f.node);
        const running = node && (node.state === 'joined' || node.state === 'leaving');
        if (!running) {
          this.note('fault-skipped', f.node, `task: node ${f.node} is not in the cluster`);
          return;
        }
        const task: SimTask = {
          num: 1000 + this.tasks.length,
          node: f.node,
          action: f.action,
          startedAt: this.now,
          endsAt: this.now + f.seconds,
          state: 'running',
        };
        this.tasks.push(task);
        this.queue.push(task.endsAt, { kind: 'task-end', task });
        this.note('task', f.node, `fault task: ${f.action} runs for ${f.seconds} s`);
        return;
      }
    }
    if (f.kind === 'kill-node') {
      const joined = this.cluster
        .joinedNodes()
        .filter((n) => n.group === f.role)
        .sort((a, b) => a.name.localeCompare(b.name));
      const victim = f.node ? this.cluster.nodes.get(f.node) : joined.length > 0 ? this.rng.pick(joined) : undefined;
      if (!victim || victim.state === 'gone') {
        this.note('fault-skipped', f.node, `kill-node: no ${f.role} node to kill`);
        return;
      }
      this.kill(victim.name, 'fault kill-node');
    } else if (f.kind === 'master-failover') {
      this.cluster.failover(this.scenario.model.electionSeconds);
    }
  }

  /**
   * A snapshot fault: as if an operator (or a policy) took one. Its repository is registered first when it is not
   * (an `fs` repository), so that fault-only scenarios need no repository API call.
   */
  private startSnapshot(f: Extract<Fault, { kind: 'snapshot' }>): void {
    const name = f.name ?? `snapshot-${Math.round(this.now)}`;
    const indices = f.indices
      ? this.cluster.indices.filter((i) => f.indices!.includes(i.name))
      : [...this.cluster.indices];
    if (!this.cluster.master || this.snapshots.list.some((s) => s.repository === f.repository && s.name === name)) {
      this.note('fault-skipped', undefined, `snapshot: ${!this.cluster.master ? 'no master' : `${name} exists`}`);
      return;
    }
    if (!this.snapshots.repositories.has(f.repository)) {
      this.snapshots.repositories.set(f.repository, { type: 'fs', settings: { location: f.repository } });
    }
    this.takeSnapshot({ repository: f.repository, name, indices, bytesPerSecond: f.bytesPerSecond }, 'fault snapshot');
  }

  /** The active primary a shard snapshot reads from (a relocating primary: its source), if any. */
  snapshotSource(index: Index, shard: number): Copy | undefined {
    const p = this.cluster.primaryOf(index.shards[shard]!);
    return p.state === 'STARTED' || p.state === 'RELOCATING' ? p : undefined;
  }

  /**
   * Starts a snapshot (a `snapshot` fault, `PUT _snapshot/<repository>/<name>`): the shard snapshots start on the
   * primaries' nodes; allocation runs again as each is done.
   */
  takeSnapshot(req: Omit<SnapshotRequest, 'uuid'>, cause: string): SimSnapshot {
    const snap = this.snapshots.start({ ...req, uuid: this.rng.token() }, this.now, (index, num) =>
      this.snapshotSource(index, num),
    );
    for (const s of snap.shards) this.queue.push(s.endAt, { kind: 'snapshot-shard-done' });
    this.note(
      'snapshot',
      undefined,
      `${cause}: ${req.repository}:${req.name} of ${snap.shards.length} shard(s) starts`,
    );
    return snap;
  }

  /** Shard snapshots on nodes that left fail (the snapshot ends PARTIAL). */
  protected failSnapshotsOfGoneNodes(): void {
    const inCluster = (name: string) => {
      const n = this.cluster.nodes.get(name);
      return n !== undefined && (n.state === 'joined' || n.state === 'leaving');
    };
    for (const s of this.snapshots.failOnGoneNodes(inCluster, this.now)) {
      this.note('snapshot-shard-failed', s.node, `snapshot of [${s.index}][${s.shard}] failed: its node left`);
    }
  }
}
