import { ALERTER_ROOT, CurrentBundle, DeploymentProperties } from './contract';

/**
 * Pure decisions of the rule deployment: the shell command sent to the instance, how the invocations' statuses
 * combine, and how much output fits in a CloudFormation response. No SDK, no clock.
 */

/** POSIX single-quoting. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Seconds the on-instance script keeps for itself below the SSM execution timeout (its own deadline). */
export const SCRIPT_DEADLINE_MARGIN_SECONDS = 120;

/**
 * The AWS-RunShellScript lines: download the deploy script and check it against its pinned sha256 (a failed download
 * or a mismatch fails the command: an older installed script is never used instead), run it with a deadline below the command's timeout, then print its final `DEPLOY FAILED` and
 * `STATE:` lines FIRST and its whole output after them (GetCommandInvocation keeps only the first 24,000
 * characters; CloudWatch Logs gets everything).
 */
export function deployCommands(p: DeploymentProperties, region: string): string[] {
  const bin = `${ALERTER_ROOT}/bin/deploy-rules.sh`;
  const log = `${ALERTER_ROOT}/last-deploy.log`;
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
  const deadline = Math.max(60, p.CommandTimeoutSeconds - SCRIPT_DEADLINE_MARGIN_SECONDS);
  return [
    'set -uo pipefail',
    // a fresh instance may still be in its user data (installing Docker)
    'cloud-init status --wait >/dev/null 2>&1 || true',
    `mkdir -p ${ALERTER_ROOT}/bin`,
    `if aws --region ${shellQuote(region)} s3 cp --only-show-errors ${shellQuote(p.ScriptS3Url)} ${bin}.new && echo '${p.ScriptSha256}  ${bin}.new' | sha256sum --check --strict --quiet; then chmod 755 ${bin}.new && mv -f ${bin}.new ${bin}; else rm -f ${bin}.new; echo "DEPLOY FAILED: the deploy script ${p.ScriptS3Url.replace(/["$`\\]/g, '')} could not be downloaded or does not match its pinned sha256 ${p.ScriptSha256} (the installed one is not used)"; echo "STATE: unchanged: nothing was changed on the instance"; exit 1; fi`,
    `if ! : >${log} 2>/dev/null; then ELK_DEADLINE_SECONDS=${deadline} ${bin} ${args.join(' ')}; exit $?; fi`,
    `ELK_DEADLINE_SECONDS=${deadline} ${bin} ${args.join(' ')} >${log} 2>&1; rc=$?`,
    `grep -E 'DEPLOY FAILED: |NOT VERIFIED YET: |^STATE: ' ${log} | tail -n 2`,
    'echo "--- full output ---"',
    `cat ${log}`,
    'exit $rc',
  ];
}

export function currentBundleValue(p: DeploymentProperties): CurrentBundle {
  return {
    bundle: p.BundleS3Url,
    sha256: p.BundleHash,
    script: p.ScriptS3Url,
    scriptSha256: p.ScriptSha256,
    esHost: p.EsHost,
  };
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

/** At most this many bytes of reason: CloudFormation's response is 4 KB and the reason appears twice in it. */
export const MAX_REASON_BYTES = 1500;

/** The last line of `text` that contains `marker`, from the marker on, on one line. */
function lastLineWith(text: string, marker: string): string | undefined {
  const lines = text.split('\n').filter((l) => l.includes(marker));
  const line = lines[lines.length - 1];
  return line === undefined ? undefined : line.slice(line.indexOf(marker)).replace(/\s+/g, ' ').trim();
}

/** Cuts a text to at most `max` bytes (UTF-8), marking the cut. */
function cut(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const mark = ' […]';
  let out = Buffer.from(text)
    .subarray(0, Math.max(0, max - Buffer.byteLength(mark)))
    .toString('utf8');
  out = out.replace(/\uFFFD+$/, '');
  return out + mark;
}

/**
 * One line of at most MAX_REASON_BYTES: which instance, how the command ended, the script's `DEPLOY FAILED`
 * reason and its final `STATE:` line quoted (what runs now), or that the state is unknown.
 */
export function failureReason(view: InvocationView, logGroup = ''): string {
  const what = view.status === 'TimedOut' ? 'timed out' : `ended ${view.status ?? 'unknown'}`;
  const details = view.statusDetails && view.statusDetails !== view.status ? ` (${view.statusDetails})` : '';
  const output = [view.stdout ?? '', view.stderr ?? ''].join('\n');
  const failed = lastLineWith(output, 'DEPLOY FAILED: ') ?? lastLineWith(output, 'NOT VERIFIED YET: ');
  const state = lastLineWith(output, 'STATE: ');
  const where = logGroup ? ` Full output: CloudWatch Logs ${logGroup}.` : '';
  const stateText = state
    ? `"${state}"`
    : 'STATE unknown: the script printed no final state (stopped or timed out before its end); check which release the instance runs';
  const head = `rule deployment on ${view.instanceId} ${what}${details}: `;
  const tailText = ` ${stateText}.${where}`;
  const budget = MAX_REASON_BYTES - Buffer.byteLength(head) - Buffer.byteLength(cut(tailText, 700));
  const body = cut(failed ?? 'no DEPLOY FAILED line in the output', Math.max(100, budget));
  return cut(`${head}${body}${cut(tailText, 700)}`.replace(/\s+/g, ' '), MAX_REASON_BYTES);
}

/** The deployment is done when every instance succeeded; it failed as soon as one instance failed. */
export function judgeInvocations(invocations: readonly InvocationView[], logGroup = ''): Verdict {
  if (invocations.length === 0) return { kind: 'failed', reason: 'no instance received the deployment command' };
  const failed = invocations.find((i) => i.status !== undefined && !PENDING.has(i.status) && !SUCCESS.has(i.status));
  if (failed) return { kind: 'failed', reason: failureReason(failed, logGroup) };
  const waiting = invocations.filter((i) => i.status === undefined || PENDING.has(i.status));
  if (waiting.length > 0) {
    return {
      kind: 'pending',
      reason: `waiting for ${waiting.map((i) => `${i.instanceId} (${i.status ?? 'not yet registered'})`).join(', ')}`,
    };
  }
  return { kind: 'success', reason: `deployed on ${invocations.map((i) => i.instanceId).join(', ')}` };
}

/**
 * An instance that left the group or SSM while its command is pending never answers (the invocation stays
 * InProgress until the command's timeout): the reason to fail at once, or undefined while it is still there.
 */
export function goneReason(
  instanceId: string,
  lifecycle: string | undefined,
  ping: string | undefined,
  group: string,
): string | undefined {
  if (lifecycle !== 'InService') {
    return `rule deployment on ${instanceId} cannot finish: the instance ${lifecycle ? `is ${lifecycle} in` : 'is no longer in'} ${group} (replaced or healed while the command ran). A new instance deploys the last verified bundle at boot; deploy again to roll out this bundle.`;
  }
  if (ping !== 'Online') {
    return `rule deployment on ${instanceId} cannot finish: the instance is ${ping ?? 'unknown'} in SSM (stopped, or its agent lost its connection). Check the instance; deploy again when it is back.`;
  }
  return undefined;
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
