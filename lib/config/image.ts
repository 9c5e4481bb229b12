/**
 * The ElastAlert image reference of `alerter.image` (issue #13): `<repository>:<tag>`, or pinned by digest as
 * `<repository>:<tag>@sha256:<64 hex>` (Docker pulls by the digest and ignores the tag, which stays for people and
 * for the rule schema's version). A tag can be moved by whoever controls it in the registry; a digest cannot.
 */
export const IMAGE_REFERENCE =
  /^[a-z0-9][a-z0-9._/-]*(:\d+)?(\/[a-z0-9._-]+)*:[\w][\w.-]{0,127}(@sha256:[0-9a-f]{64})?$/;

export const IMAGE_FORMAT_MESSAGE =
  'must be <repository>:<tag> or, pinned by digest, <repository>:<tag>@sha256:<64 lowercase hex digits> ' +
  '(e.g. jertel/elastalert2:2.31.0@sha256:<digest>; `docker buildx imagetools inspect <image>` or ' +
  '`aws ecr describe-images` of your mirror prints the digest)';

export interface ImageReference {
  readonly repository: string;
  readonly tag: string;
  /** `sha256:<hex>` when pinned by digest. */
  readonly digest?: string;
}

/** Splits a reference that matches IMAGE_REFERENCE; undefined otherwise. */
export function parseImage(image: string): ImageReference | undefined {
  if (!IMAGE_REFERENCE.test(image)) return undefined;
  const at = image.indexOf('@');
  const named = at < 0 ? image : image.slice(0, at);
  const colon = named.lastIndexOf(':');
  return {
    repository: named.slice(0, colon),
    tag: named.slice(colon + 1),
    ...(at < 0 ? {} : { digest: image.slice(at + 1) }),
  };
}

/**
 * Why an image is not acceptable for an environment, or undefined. `latest` is never a pin; a tag without a digest
 * is refused when the environment requires digests (`alerter.requireImageDigest`).
 */
export function imageProblem(image: string, requireDigest: boolean): string | undefined {
  const ref = parseImage(image);
  if (!ref) return IMAGE_FORMAT_MESSAGE;
  if (ref.tag === 'latest') return `'latest' is not a pin: name a release tag (e.g. ${ref.repository}:2.31.0)`;
  if (requireDigest && !ref.digest) {
    return (
      `${image} is pinned by tag only, and alerter.requireImageDigest is true: append the digest ` +
      `(${image}@sha256:<64 hex>, of the image you mirrored: docs/security.md, "The ElastAlert image"), ` +
      `or set alerter.requireImageDigest: false`
    );
  }
  return undefined;
}

/** The synth warning for a tag-only image (undefined when pinned by digest). */
export function tagOnlyWarning(image: string): string | undefined {
  const ref = parseImage(image);
  if (!ref || ref.digest) return undefined;
  return (
    `alerter.image ${image} is pinned by tag only: whoever can move that tag in the registry chooses the code that ` +
    `runs with every alert secret. Pin it by digest (${image}@sha256:<64 hex>, ideally of a copy in your own ECR: ` +
    `docs/security.md, "The ElastAlert image") and set alerter.requireImageDigest: true`
  );
}
