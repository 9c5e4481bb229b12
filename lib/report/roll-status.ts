import { plan, progress } from '../../lambda/rolling-replacement/core/plan';
import { observe } from '../../lambda/rolling-replacement/reconcile';
import type { RollTarget } from '../rolling-replacement/rollctl';
import { statusReportData } from './from-status';
import { renderReportHtml } from './html';

/** `roll status --report`: the page for a live roll, or why the state is unknown. */
export async function rollStatusReportHtml(
  t: RollTarget,
  environment: string,
): Promise<{ html: string } | { unknown: string }> {
  const obs = await observe(t.es, t.fleet, t.spec, t.now());
  const p = progress(obs, t.spec, t.model);
  if ('unknown' in p) return p;
  const steps = plan(obs, t.spec, t.model);
  if ('unknown' in steps) return steps;
  const health = 'unknown' in obs.es ? 'red' : obs.es.health.status;
  const data = statusReportData({ environment, progress: p, steps, health, joinSeconds: t.model.joinSeconds });
  return { html: renderReportHtml(data) };
}
