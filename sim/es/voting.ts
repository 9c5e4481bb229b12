import { EsError } from '../model/cluster';
import { EsContext, Query } from './context';

/** `POST|DELETE /_cluster/voting_config_exclusions`. */

export function addExclusions(ctx: EsContext, q: Query): { status: number; body?: unknown } {
  const names = q.get('node_names');
  const ids = q.get('node_ids');
  if ((names === null) === (ids === null)) {
    throw new EsError(
      400,
      'illegal_argument_exception',
      'Please set node identifiers correctly. One and only one of [node_name], [node_names] and [node_ids] has to be set',
    );
  }
  const wanted = (names ?? ids)!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const known = [...ctx.cluster.nodes.values()].filter((n) => n.state !== 'gone');
  const entries = wanted.map((w) => {
    const n = known.find((k) => (names !== null ? k.name === w : k.id === w));
    return names !== null
      ? { node_id: n ? n.id : '_absent_', node_name: w }
      : { node_id: w, node_name: n ? n.name : '_absent_' };
  });
  const done = ctx.cluster.addVotingExclusions(entries);
  if (!done) {
    throw new EsError(
      ctx.timeoutStatus(),
      'elasticsearch_timeout_exception',
      `timed out waiting for voting config exclusions [${entries.map((e) => `{${e.node_id}}{${e.node_name}}`).join(', ')}] to take effect`,
    );
  }
  return { status: 200 };
}

export function clearExclusions(ctx: EsContext, q: Query): { status: number; body?: unknown } {
  const wait = q.get('wait_for_removal') !== 'false';
  if (!ctx.cluster.clearVotingExclusions(wait)) {
    throw new EsError(
      ctx.timeoutStatus(),
      'elasticsearch_timeout_exception',
      `timed out waiting for removal of nodes; if nodes should not be removed, set wait_for_removal to false. [${ctx.cluster.votingExclusions.map((e) => `{${e.node_id}}{${e.node_name}}`).join(', ')}]`,
    );
  }
  return { status: 200 };
}
