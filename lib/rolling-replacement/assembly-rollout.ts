/**
 * The rollout a synthesized cloud assembly deploys to an environment: the `RolloutId` of the cluster stack's
 * `Custom::RollingReplacement` (`r-<key>`, a hash of what the roll changes). `elkctl roll wait --cdk-out DIR` waits for
 * exactly that rollout after `cdk deploy --app DIR`, so a CI job follows the roll its own deploy started and a re-run
 * of the job resumes the same wait. Reads files only (no AWS call).
 */
import { AssemblyError, readElkAssembly } from '../diff/assembly';

const ROLLING_REPLACEMENT = 'Custom::RollingReplacement';

export function rolloutIdFromAssembly(dir: string, env: string): string {
  const stacks = readElkAssembly(dir);
  const name = `${env}/cluster`;
  const cluster = stacks.get(name);
  if (!cluster) {
    const names = [...stacks.keys()].filter((n) => n.endsWith('/cluster')).join(', ') || 'none';
    throw new AssemblyError(
      `${dir}: no stack ${name} (cluster stacks in it: ${names}); synthesize the environment (npm run synth, ` +
        `or cdk synth -c envs=${env})`,
    );
  }
  const ids = Object.values(cluster.template.Resources ?? {})
    .filter((r) => r.Type === ROLLING_REPLACEMENT)
    .map((r) => r.Properties?.RolloutId);
  const [id] = ids;
  if (ids.length !== 1 || typeof id !== 'string' || !/^r-[A-Za-z0-9]{1,40}$/.test(id)) {
    throw new AssemblyError(
      `${dir}: ${name} should hold one ${ROLLING_REPLACEMENT} with a RolloutId r-<key>, found ` +
        `${JSON.stringify(ids)}; is it a synth of this version of elk-cdk?`,
    );
  }
  return id;
}
