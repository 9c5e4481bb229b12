import { parseImage } from './image';

/**
 * A private Amazon ECR registry host: `<12-digit account>.dkr.ecr.<region>.amazonaws.com` (`.amazonaws.com.cn` in the
 * China regions). The same pattern is in scripts/alerter/deploy-rules.sh, which logs docker in to such a registry.
 */
export const ECR_REGISTRY_HOST = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$/;

/** An `alerter.image` in a private ECR repository. */
export interface EcrImage {
  readonly account: string;
  readonly region: string;
  /** The registry host, what `docker login` takes. */
  readonly registry: string;
  /** The repository name inside the registry (may hold `/`), as in its ARN `…:repository/<name>`. */
  readonly repositoryName: string;
  readonly tag: string;
  readonly digest?: string;
}

/** The ECR parts of an image reference, or undefined when it does not name a private ECR registry. */
export function ecrImage(image: string): EcrImage | undefined {
  const ref = parseImage(image);
  const slash = ref?.repository.indexOf('/') ?? -1;
  if (!ref || slash < 0) return undefined;
  const registry = ref.repository.slice(0, slash);
  const m = ECR_REGISTRY_HOST.exec(registry);
  if (!m) return undefined;
  return {
    account: m[1]!,
    region: m[2]!,
    registry,
    repositoryName: ref.repository.slice(slash + 1),
    tag: ref.tag,
    ...(ref.digest ? { digest: ref.digest } : {}),
  };
}

/**
 * Why an image in ECR is not acceptable for an environment, or undefined (also for any image not in ECR). The
 * instance role is granted exactly that repository, so it must be in the environment's own account and region
 * (known at synth), and the image must be pinned by digest: a mirror is only worth having when nobody can move what it
 * serves.
 */
export function ecrImageProblem(image: string, env: { account?: string; region?: string }): string | undefined {
  const ref = parseImage(image);
  if (!ref) return undefined;
  const host = ref.repository.includes('/') ? ref.repository.slice(0, ref.repository.indexOf('/')) : '';
  if (/\.dkr\.ecr[.-]/.test(host) && !ECR_REGISTRY_HOST.test(host)) {
    return `names ${host}, which is not a private ECR registry host (<12-digit account>.dkr.ecr.<region>.amazonaws.com)`;
  }
  const ecr = ecrImage(image);
  if (!ecr) return undefined;
  const own = `${env.account ?? '<account>'}.dkr.ecr.${env.region ?? '<region>'}.amazonaws.com`;
  if (env.account === undefined || env.region === undefined) {
    return (
      `names the ECR repository ${ecr.repositoryName} of ${ecr.registry}: an image in ECR needs the environment's ` +
      `account and region (set both), so that the alerter's role is granted that one repository of its own account`
    );
  }
  if (ecr.account !== env.account) {
    return (
      `is in the ECR registry of account ${ecr.account}, not of the environment's account ${env.account}: mirror it ` +
      `into ${own} (docs/security.md, "The ElastAlert image"; a pull from another account would need a repository ` +
      `policy there, not built)`
    );
  }
  if (ecr.region !== env.region) {
    return `is in the ECR registry of region ${ecr.region}, not of the environment's region ${env.region}: mirror it into ${own}`;
  }
  if (!ecr.digest) {
    return (
      `is in ECR but pinned by tag only: append its digest (${image}@sha256:<64 hex>, printed by docker push, or ` +
      `aws ecr describe-images --repository-name ${ecr.repositoryName} --image-ids imageTag=${ecr.tag} ` +
      `--query 'imageDetails[0].imageDigest')`
    );
  }
  return undefined;
}
