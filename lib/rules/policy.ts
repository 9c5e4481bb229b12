/**
 * Per-environment policy on alert rules that run code or reach out: the `command` alerter (ElastAlert runs it on
 * the alerter, with values from the matched event) is refused unless the environment allows it, and then only in
 * list form (no shell) without `%(` (no event values in the argv); `post`/`post2` (http_post_url, http_post2_url)
 * may only target hosts of the environment's allow-list when one is set. Pure: rule in, findings out.
 */
import type { Finding } from './validate';

export interface AlerterPolicy {
  /** `alerter.allowCommandAlerter`. @default false */
  readonly allowCommandAlerter?: boolean;
  /** `alerter.allowedHttpHosts`: hosts `http_post_url`/`http_post2_url` may target. @default no restriction */
  readonly allowedHttpHosts?: readonly string[];
}

const COMMAND_ALERTERS = new Set(['command', 'elastalert.alerters.command.CommandAlerter']);
const HTTP_URL_OPTIONS: Record<string, string> = { post: 'http_post_url', post2: 'http_post2_url' };

/** The alerter names of a rule: `alert` may be a string, a list of strings, or a list of {name: options}. */
function alerterNames(alert: unknown): string[] {
  const items = Array.isArray(alert) ? alert : alert === undefined ? [] : [alert];
  return items.flatMap((a) =>
    typeof a === 'string' ? [a] : a && typeof a === 'object' ? Object.keys(a as Record<string, unknown>) : [],
  );
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

export function alerterPolicyFindings(rule: Record<string, unknown>, policy: AlerterPolicy = {}): Finding[] {
  const out: Finding[] = [];
  const err = (key: string, message: string): Finding => ({ key, message, severity: 'error' });
  const names = alerterNames(rule.alert);
  if (names.some((n) => COMMAND_ALERTERS.has(n))) {
    if (!policy.allowCommandAlerter) {
      out.push(
        err(
          'alert',
          'uses the command alerter, which runs a program on the alerter with values from the matched event: refused unless the environment sets alerter.allowCommandAlerter: true',
        ),
      );
    } else if (!Array.isArray(rule.command) || !rule.command.every((c) => typeof c === 'string')) {
      out.push(err('command', 'must be a list of strings (a string runs through a shell)'));
    } else if (rule.command.some((c: string) => c.includes('%('))) {
      out.push(err('command', 'must not contain "%(": event values would reach the program\'s arguments'));
    }
  }
  if (policy.allowedHttpHosts !== undefined) {
    const allowed = new Set(policy.allowedHttpHosts.map((h) => h.toLowerCase()));
    for (const name of names) {
      const option = HTTP_URL_OPTIONS[name];
      if (!option) continue;
      const urls = ([] as unknown[]).concat(rule[option] ?? []);
      for (const url of urls) {
        const host = typeof url === 'string' ? hostOf(url) : undefined;
        if (!host) {
          out.push(
            err(option, 'must be a literal https:// URL so its host can be checked against alerter.allowedHttpHosts'),
          );
        } else if (!allowed.has(host)) {
          out.push(
            err(
              option,
              `targets host ${host}, which is not in alerter.allowedHttpHosts (${[...allowed].join(', ') || 'empty'})`,
            ),
          );
        }
      }
    }
  }
  return out;
}
