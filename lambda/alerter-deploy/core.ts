import { ALERTER_ROOT, CurrentBundle, DeploymentProperties } from './contract';

/**
 * Pure decisions of the rule deployment: the shell command sent to the instance, how the invocations' statuses
 * combine, and how much output fits in a CloudFormation response. No SDK, no clock.
 */

/** POSIX single-quoting. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The AWS-RunShellScript lines: refresh the deploy script (keep the installed one if that fails), then run it. */
export function deployCommands(p: DeploymentProperties, region: string): string[] {
  const bin = `${ALERTER_ROOT}/bin/deploy-rules.sh`;
  const args = [
    '--bundle',
    shellQuote(p.BundleS3Url),
    '--sha256',
    p.BundleHash,
    '--es-host',
    shellQuote(p.EsHost),
    '--ca-parameter',
    shellQuote(p.CaParameterName),
    '--region',
    shellQuote(region),
    ...(p.CredentialsSecretArn ? ['--credentials-secret', shellQuote(p.CredentialsSecretArn)] : []),
  ];
  return [
    'set -euo pipefail',
    // a fresh instance may still be in its user data (installing Docker)
    'cloud-init status --wait >/dev/null 2>&1 || true',
    `mkdir -p ${ALERTER_ROOT}/bin`,
    `if aws --region ${shellQuote(region)} s3 cp --only-show-errors ${shellQuote(p.ScriptS3Url)} ${bin}.new; then chmod 755 ${bin}.new && mv -f ${bin}.new ${bin}; else echo "keeping the installed deploy script"; fi`,
    `${bin} ${args.join(' ')}`,
  ];
}

export function currentBundleValue(p: DeploymentProperties): CurrentBundle {
  return { bundle: p.BundleS3Url, sha256: p.BundleHash, script: p.ScriptS3Url, esHost: p.EsHost };
}

/** Statuses of SSM GetCommandInvocation. */
const PENDING = new Set(['Pending', 'InProgress', 'Delayed', 'NotFound']);
const SUCCESS = new Set(['Success']);

export interface InvocationView {
  readonly instanceId: string;
  /** undefined = the invocation does not exist yet (just sent). */
  readonly status?: string;
  readonly statusDetails?: string;
  readonly stdout?: string;
  readonly stderr?: string;
}

export type Verdict =
  | { readonly kind: 'pending'; readonly reason: string }
  | { readonly kind: 'success'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** The deployment is done when every instance succeeded; it failed as soon as one instance failed. */
export function judgeInvocations(invocations: readonly InvocationView[], maxReasonBytes = 3000): Verdict {
  if (invocations.length === 0) return { kind: 'failed', reason: 'no instance received the deployment command' };
  const failed = invocations.find((i) => i.status !== undefined && !PENDING.has(i.status) && !SUCCESS.has(i.status));
  if (failed) {
    const what = failed.status === 'TimedOut' ? 'timed out' : `ended ${failed.status}`;
    const head = `rule deployment on ${failed.instanceId} ${what}${failed.statusDetails && failed.statusDetails !== failed.status ? ` (${failed.statusDetails})` : ''}; the alerter runs the previous rules. Output:\n`;
    const output = [failed.stdout ?? '', failed.stderr ?? ''].filter((s) => s.trim() !== '').join('\n');
    return { kind: 'failed', reason: head + tail(output, maxReasonBytes - Buffer.byteLength(head)) };
  }
  const waiting = invocations.filter((i) => i.status === undefined || PENDING.has(i.status));
  if (waiting.length > 0) {
    return {
      kind: 'pending',
      reason: `waiting for ${waiting.map((i) => `${i.instanceId} (${i.status ?? 'not yet registered'})`).join(', ')}`,
    };
  }
  return { kind: 'success', reason: `deployed on ${invocations.map((i) => i.instanceId).join(', ')}` };
}

/** The last bytes of a text (the end of a script's output says why it failed), marked when cut. */
export function tail(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const marker = '[… output trimmed …]\n';
  const budget = Math.max(0, maxBytes - Buffer.byteLength(marker));
  let cut = Buffer.from(text)
    .subarray(Buffer.byteLength(text) - budget)
    .toString('utf8');
  // drop a partial first character or line
  cut = cut.replace(/^\uFFFD+/, '');
  const nl = cut.indexOf('\n');
  if (nl >= 0 && nl < 200) cut = cut.slice(nl + 1);
  return marker + cut;
}
