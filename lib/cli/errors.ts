/**
 * How elkctl ends on an error: one line on stderr and an exit code, as the README promises.
 *   2  bad input: usage (unknown option or command, missing or malformed value), config, files
 *   4  a service could not be used: network, AWS credentials, AWS or Elasticsearch errors
 * (0, 1 and 3 are the commands' own results.) Pure: no process access.
 */
export const EXIT_BAD_INPUT = 2;
export const EXIT_SERVICE = 4;

/** A usage error raised by a command itself (e.g. a value commander cannot check). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);
const ES_CLIENT_ERRORS = new Set(['ConnectionError', 'TimeoutError', 'ResponseError', 'NoLivingConnectionsError']);

type Err = Error & { code?: string; $metadata?: unknown; cause?: unknown };

/** Missing, expired or rejected AWS credentials. */
export function isCredentialsError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Err;
  return (
    e.name === 'CredentialsProviderError' ||
    e.name === 'ExpiredTokenException' ||
    e.name === 'ExpiredToken' ||
    e.name === 'UnrecognizedClientException' ||
    e.name === 'InvalidClientTokenId' ||
    /Could not load credentials from any providers|Token is expired|security token included in the request is (expired|invalid)/i.test(
      e.message,
    )
  );
}

/** True for failures of the network or of a remote service (not of the user's input). */
export function isServiceError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Err;
  if (isCredentialsError(e) || e.$metadata !== undefined || ES_CLIENT_ERRORS.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /fetch failed|socket hang up/i.test(e.message))
    return true;
  return e.cause instanceof Error ? isServiceError(e.cause) : false;
}

export const NO_CREDENTIALS =
  'no usable AWS credentials (looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE with ~/.aws/config and ' +
  '~/.aws/credentials incl. SSO, web identity, container and instance metadata): set AWS_PROFILE=<profile> ' +
  '(after `aws sso login --profile <profile>` if it uses SSO) or export temporary credentials';

/** The line for missing credentials when AWS_PROFILE names a profile: the SDK's message does not name it. */
export function noCredentialsForProfile(profile: string): string {
  return (
    `no usable AWS credentials for AWS_PROFILE=${profile} (no such profile in ~/.aws/config or ~/.aws/credentials, ` +
    `or its SSO session expired): check the name (aws configure list-profiles) or run aws sso login --profile ${profile}`
  );
}

/**
 * The exit code and the one line elkctl prints for an error that ended a command.
 * @param env the variables that shape the message (AWS_PROFILE); pass process.env
 */
export function describeFailure(
  err: unknown,
  env: Readonly<Record<string, string | undefined>> = {},
): { code: number; message: string } {
  if (!(err instanceof Error)) return { code: EXIT_BAD_INPUT, message: String(err) };
  const e = err as Err;
  if (isCredentialsError(e)) {
    const expired = /expired/i.test(`${e.name} ${e.message}`);
    const profile = env.AWS_PROFILE?.trim();
    return {
      code: EXIT_SERVICE,
      message: expired
        ? `AWS credentials expired (${e.message.split('\n')[0]}): refresh them, e.g. aws sso login`
        : profile
          ? noCredentialsForProfile(profile)
          : NO_CREDENTIALS,
    };
  }
  const first = e.message.split('\n')[0]!;
  if (isServiceError(e)) {
    const what = e.code ?? (e.name !== 'Error' ? e.name : undefined);
    return { code: EXIT_SERVICE, message: what && !first.includes(what) ? `${what}: ${first}` : first };
  }
  return { code: EXIT_BAD_INPUT, message: e.message };
}
