import { clusterRequests } from '../lambda/index-management/cluster';
import type { EsApi } from './es/api';
import { contractProblems } from './es/contract/check';

/**
 * What the stack's index-management custom resource does before a roll when rollout.snapshotBeforeRoll is on (the
 * rolling replacement's resource depends on it, lib/cluster/ClusterStack.ts): register the snapshot repository and
 * the SLM policy, with the project's own request builders (lambda/index-management/cluster.ts), through the
 * simulator's API. The recovery-bandwidth setting it also writes is left out: the scenario's model sets it.
 */
export function applyStackSnapshotSetup(api: EsApi, clusterName: string): void {
  const requests = clusterRequests({
    recoveryBytesPerSec: 40 * 1024 * 1024,
    bucket: `${clusterName}-snapshots`,
    basePath: clusterName,
    schedule: '0 30 1 * * ?',
    retention: { expireAfterDays: 30, minCount: 5, maxCount: 50 },
  }).filter((r) => !r.path.startsWith('/_cluster/'));
  for (const req of requests) {
    const r = api.request(req.method, req.path, req.body);
    const problems = contractProblems(req.method, req.path, r.status, r.body);
    if (r.status >= 300 || problems.length > 0) {
      throw new Error(
        `stack setup ${req.method} ${req.path}: HTTP ${r.status}: ${JSON.stringify(r.body)} ${problems.join('; ')}`,
      );
    }
  }
}
