/**
 * The CA rotation's phase machine, free of AWS: from what the CA secret holds and the phase the environment's config
 * asks for (`security.caRotation`), the one change of the secret to make, or a refusal that names the config key and
 * the fix. The cluster-CA custom resource applies it (lambda/cluster-ca/index.ts); the boot rehearsal applies the same
 * function to its issuer's CA (lib/boot/ca-rotation.ts).
 *
 * The secret keeps its layout: the first certificate signs with the key that follows it, and every certificate in it
 * is trusted (what the issuer and decideCa read). During a rotation the other CA's key follows its certificate too,
 * so the next phase (and the undo of this one) needs no key from outside:
 *
 *   rotation n   trust-new   [old cert, old key, new cert, new key]   signs old, trusts both
 *                sign-new    [new cert, new key, old cert, old key]   signs new, trusts both
 *                drop-old    [new cert, new key]                      signs new, trusts new
 *
 * Which CA is new is written into the CA itself: the CA of rotation n has the common name `<base> (rotation n)`;
 * the first CA of an environment has none (rotation 0).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { CaSecretError, type CaMaterial } from './ca';

export const CA_ROTATION_PHASES = ['trust-new', 'sign-new', 'drop-old'] as const;
export type CaRotationPhase = (typeof CA_ROTATION_PHASES)[number];

/** What `security.caRotation` asks for: rotation n (1 for the environment's first new CA), in one phase. */
export interface CaRotation {
  readonly rotation: number;
  readonly phase: CaRotationPhase;
}

/** One CA of the secret: its certificate, its key when the secret holds it, and its rotation number. */
export interface CaEntry {
  readonly certPem: string;
  readonly keyPem?: string;
  readonly rotation: number;
}

export type RotationAction =
  /** Nothing to change. */
  | 'keep'
  /** trust-new: make the CA of the rotation and add it after the signing CA (signs old, trusts both). */
  | 'add-new'
  /** sign-new (or its undo): the other CA moves first and signs; the now second one stays trusted. */
  | 'swap'
  /** drop-old: only the signing CA remains. */
  | 'drop-old'
  /** The undo of trust-new (a rollback to the previous rotation): the new CA leaves, unused so far. */
  | 'remove-new';

export interface RotationDecision {
  readonly action: RotationAction;
  readonly reason: string;
}

/** Where the refusals point the operator: the environment file and the key. */
export interface RotationContext {
  /** Name of the CA secret (for messages). */
  readonly secretName: string;
  /** The environment file that sets the key, e.g. `config/environments/dev.yaml`. */
  readonly configFile: string;
}

export class CaRotationError extends CaSecretError {}

const BLOCKS = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;
const ROTATION_CN = / \(rotation (\d+)\)$/;

/** The common name of rotation n's CA (`<base> (rotation n)`; n = 0 is the base name). */
export function rotationCommonName(base: string, rotation: number): string {
  return rotation === 0 ? base : `${base} (rotation ${rotation})`;
}

/** The rotation a CA certificate belongs to, from its common name; 0 for a CA without the suffix. */
export function rotationOf(certPem: string): number {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(certPem).subject)?.[1] ?? '';
  return Number(ROTATION_CN.exec(cn)?.[1] ?? 0);
}

/** The CAs of a secret string, in order; a key belongs to the certificate before it and must match it. */
export function parseCaSecret(text: string, secretName: string): CaEntry[] {
  const entries: { certPem: string; keyPem?: string }[] = [];
  for (const m of text.matchAll(BLOCKS)) {
    const pem = m[0].trim() + '\n';
    if (m[1] === 'CERTIFICATE') {
      entries.push({ certPem: pem });
      continue;
    }
    if (!/PRIVATE KEY$/.test(m[1]!)) continue;
    const owner = entries[entries.length - 1];
    if (!owner || owner.keyPem) {
      throw new CaSecretError(`${secretName}: a private key without a certificate before it; restore the layout.`);
    }
    if (!new X509Certificate(owner.certPem).checkPrivateKey(createPrivateKey(pem))) {
      throw new CaSecretError(`${secretName}: CA #${entries.length}'s key does not belong to its certificate.`);
    }
    owner.keyPem = pem;
  }
  if (!entries[0]?.keyPem) {
    throw new CaSecretError(`${secretName}: the first certificate (the signing CA) has no private key after it.`);
  }
  return entries.map((e) => ({ ...e, rotation: rotationOf(e.certPem) }));
}

/** The secret string of some CAs (the first signs). */
export function renderCaSecret(entries: readonly CaEntry[]): string {
  return entries.map((e) => e.certPem + (e.keyPem ?? '')).join('');
}

/** What the issuer and the clients see of some CAs. */
export function caMaterialOf(entries: readonly CaEntry[]): CaMaterial {
  return {
    certPem: entries[0]!.certPem,
    keyPem: entries[0]!.keyPem!,
    trustPem: entries.map((e) => e.certPem).join(''),
  };
}

const show = (r: CaRotation) => `{rotation: ${r.rotation}, phase: ${r.phase}}`;

/**
 * The one change that brings the secret to `desired`. Moves one phase forward, repeats the current one (no change),
 * or undoes the last one when that is safe (what a CloudFormation rollback asks for); anything else is refused.
 */
export function decideRotation(
  entries: readonly CaEntry[],
  desired: CaRotation,
  ctx: RotationContext,
): RotationDecision {
  const n = desired.rotation;
  const key = `${ctx.configFile}: security.caRotation`;
  const refuse = (why: string, fix: CaRotation | string): never => {
    const todo =
      typeof fix === 'string'
        ? fix
        : `set it to ${show(fix)}, deploy and let the roll finish, then move on one phase per deploy (trust-new, sign-new, drop-old)`;
    throw new CaRotationError(`${key}: ${show(desired)} is refused: ${why}. Fix: ${todo}.`);
  };
  if (entries.length > 2) {
    refuse(
      `${ctx.secretName} holds ${entries.length} CA certificates (a rotation by hand?), the phase machine handles two`,
      `finish that rotation by hand (docs/security.md, "Rotation") so the secret holds one CA, then start with rotation ${Math.max(...entries.map((e) => e.rotation)) + 1}`,
    );
  }
  const [signer, other] = entries as [CaEntry, CaEntry | undefined];
  if (!other) {
    const g = signer.rotation;
    if (g === n) return { action: 'keep', reason: `the secret holds rotation ${n}'s CA alone (rotation ${n} is done)` };
    if (g === n - 1) {
      if (desired.phase === 'trust-new') {
        return { action: 'add-new', reason: `rotation ${n} starts: a new CA is trusted beside rotation ${g}'s` };
      }
      refuse(
        `${ctx.secretName} holds rotation ${g}'s CA alone: every node must trust rotation ${n}'s CA before it signs or the old one goes`,
        { rotation: n, phase: 'trust-new' },
      );
    }
    if (g > n) {
      refuse(`${ctx.secretName} already holds rotation ${g}'s CA: rotation ${n} is over`, {
        rotation: g,
        phase: 'drop-old',
      });
    }
    return refuse(`${ctx.secretName} holds rotation ${g}'s CA: the next rotation is ${g + 1}`, {
      rotation: g + 1,
      phase: 'trust-new',
    });
  }
  if (other.rotation === signer.rotation) {
    refuse(
      `${ctx.secretName} holds two CAs of the same rotation (${signer.rotation}): which one is new cannot be told`,
      'finish that rotation by hand (docs/security.md, "Rotation") so the secret holds one CA',
    );
  }
  if (other.rotation > signer.rotation) {
    // trust-new of rotation `other.rotation` is in place.
    const r = other.rotation;
    if (n === r && desired.phase === 'trust-new') {
      return { action: 'keep', reason: `rotation ${r}'s CA is already trusted beside rotation ${signer.rotation}'s` };
    }
    if (n === r && desired.phase === 'sign-new') {
      if (!other.keyPem) {
        refuse(
          `${ctx.secretName} trusts rotation ${r}'s CA but does not hold its key (added by hand?)`,
          "put the new CA's key after its certificate in the secret, or drop the new certificate by hand and start the rotation again",
        );
      }
      return {
        action: 'swap',
        reason: `rotation ${r}'s CA signs from now on; rotation ${signer.rotation}'s stays trusted`,
      };
    }
    if (n === r) {
      refuse(`rotation ${r}'s CA has not signed yet: nodes still hold certificates of the CA you would drop`, {
        rotation: r,
        phase: 'sign-new',
      });
    }
    if (n === signer.rotation) {
      return {
        action: 'remove-new',
        reason: `back to rotation ${n} (a rollback of rotation ${r}'s trust-new): rotation ${r}'s CA signed nothing yet, it leaves`,
      };
    }
    refuse(`rotation ${r} is under way (phase trust-new)`, { rotation: r, phase: 'sign-new' });
  }
  // sign-new of rotation `signer.rotation` is in place.
  const r = signer.rotation;
  if (n === r && desired.phase === 'sign-new') {
    return {
      action: 'keep',
      reason: `rotation ${r}'s CA already signs; rotation ${other.rotation}'s is still trusted`,
    };
  }
  if (n === r && desired.phase === 'drop-old') {
    return { action: 'drop-old', reason: `rotation ${other.rotation}'s CA is no longer trusted` };
  }
  if (n === r) {
    if (!other.keyPem) {
      refuse(`${ctx.secretName} no longer holds rotation ${other.rotation}'s key, so it cannot sign again`, {
        rotation: r,
        phase: 'sign-new',
      });
    }
    return {
      action: 'swap',
      reason: `back to trust-new of rotation ${r} (a rollback): rotation ${other.rotation}'s CA signs again`,
    };
  }
  return refuse(`rotation ${r} is under way (phase sign-new)`, { rotation: r, phase: 'drop-old' });
}

/** The CAs after `action`; `makeCa(n)` makes rotation n's CA (only for add-new). */
export function applyRotation(
  entries: readonly CaEntry[],
  action: RotationAction,
  rotation: number,
  makeCa: (rotation: number) => CaMaterial,
): CaEntry[] {
  switch (action) {
    case 'keep':
      return [...entries];
    case 'add-new': {
      const ca = makeCa(rotation);
      return [entries[0]!, { certPem: ca.certPem, keyPem: ca.keyPem, rotation }];
    }
    case 'swap':
      return [entries[1]!, entries[0]!];
    case 'drop-old':
    case 'remove-new':
      return [entries[0]!];
  }
}

export interface RotationResult extends RotationDecision {
  readonly entries: readonly CaEntry[];
  /** The new secret string, only when it changes. */
  readonly secretString?: string;
}

/** Decide and apply in one: what the custom resource writes (or not) for `desired`. */
export function rotateCaSecret(
  current: string,
  desired: CaRotation,
  ctx: RotationContext,
  makeCa: (rotation: number) => CaMaterial,
): RotationResult {
  const entries = parseCaSecret(current, ctx.secretName);
  const decision = decideRotation(entries, desired, ctx);
  const next = applyRotation(entries, decision.action, desired.rotation, makeCa);
  return decision.action === 'keep'
    ? { ...decision, entries: next }
    : { ...decision, entries: next, secretString: renderCaSecret(next) };
}

/** Where a rotation phase stands on the line of all phases: 0 before any rotation, then 1, 2, 3 for rotation 1. */
export function rotationPosition(r: CaRotation | undefined): number {
  return r ? 3 * (r.rotation - 1) + CA_ROTATION_PHASES.indexOf(r.phase) + 1 : 0;
}

const showOrNone = (r: CaRotation | undefined) => (r ? show(r) : '(not set)');

/** The phase after `r` (the first phase of the next rotation after drop-old). */
export function nextRotationPhase(r: CaRotation | undefined): CaRotation {
  if (!r) return { rotation: 1, phase: 'trust-new' };
  const i = CA_ROTATION_PHASES.indexOf(r.phase);
  return i === CA_ROTATION_PHASES.length - 1
    ? { rotation: r.rotation + 1, phase: 'trust-new' }
    : { rotation: r.rotation, phase: CA_ROTATION_PHASES[i + 1]! };
}

/**
 * Why going from the deployed phase to the wanted one in one deploy is refused, or undefined when it is the same
 * phase, the next one, or the previous one (a deliberate undo). What synth checks against the deployed record.
 */
export function rotationStepProblem(
  deployed: CaRotation | undefined,
  wanted: CaRotation | undefined,
): string | undefined {
  const from = rotationPosition(deployed);
  const to = rotationPosition(wanted);
  if (!wanted && deployed) {
    return (
      `is not set but ${show(deployed)} is deployed: once a rotation ran the key stays (removing it changes every ` +
      `launch template: one more roll of every node, and the CA custom resource no longer checks the phases). Keep ` +
      `${show(deployed)}, or move on to ${show(nextRotationPhase(deployed))}`
    );
  }
  if (Math.abs(to - from) <= 1) return undefined;
  const next = nextRotationPhase(deployed);
  if (to > from) {
    return (
      `is ${showOrNone(wanted)} but ${showOrNone(deployed)} is deployed: phases cannot be skipped (a node may only ` +
      `meet certificates of a CA it already trusts, so every node must be replaced in each phase). Deploy ` +
      `${show(next)} first and let its roll finish, then one phase per deploy`
    );
  }
  return (
    `is ${showOrNone(wanted)} but ${showOrNone(deployed)} is deployed: a rotation goes back at most one phase (the ` +
    `undo of the last deploy). Keep ${showOrNone(deployed)}, or move on to ${show(next)}`
  );
}

/** The name of a phase in user data and function configurations: `rotation-<n>-<phase>`. */
export function caGenerationOf(r: CaRotation): string {
  return `rotation-${r.rotation}-${r.phase}`;
}
