import { ecrImage, ecrImageProblem } from '../../lib/config';

// Issue #13: an ElastAlert image mirrored into ECR (lib/config/ecr.ts). The alerter's role is granted exactly that
// repository, so it must be of the environment's account and region, and pinned by digest.

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const ENV = { account: '111111111111', region: 'eu-west-1' };
const HOST = '111111111111.dkr.ecr.eu-west-1.amazonaws.com';

describe('alerter.image in a private ECR repository', () => {
  test('the parts of an ECR reference: account, region, registry, repository name (with a namespace), tag, digest', () => {
    expect(ecrImage(`${HOST}/mirror/elastalert2:2.31.0@${DIGEST}`)).toEqual({
      account: '111111111111',
      region: 'eu-west-1',
      registry: HOST,
      repositoryName: 'mirror/elastalert2',
      tag: '2.31.0',
      digest: DIGEST,
    });
    expect(ecrImage('222222222222.dkr.ecr.cn-north-1.amazonaws.com.cn/elastalert2:2.31.0')).toMatchObject({
      region: 'cn-north-1',
      repositoryName: 'elastalert2',
    });
  });

  test.each([
    ['Docker Hub', 'jertel/elastalert2:2.31.0'],
    ['ECR Public', `public.ecr.aws/jertel/elastalert2:2.31.0@${DIGEST}`],
    ['another private registry', 'registry.local:5000/elastalert2:2.31.0'],
  ])('%s is not ECR: nothing to grant, nothing to refuse', (_what, image) => {
    expect(ecrImage(image)).toBeUndefined();
    expect(ecrImageProblem(image, ENV)).toBeUndefined();
    expect(ecrImageProblem(image, {})).toBeUndefined();
  });

  test("the environment's own repository, pinned by digest, is accepted", () => {
    expect(ecrImageProblem(`${HOST}/elastalert2:2.31.0@${DIGEST}`, ENV)).toBeUndefined();
  });

  test.each([
    [
      'pinned by tag only',
      `${HOST}/elastalert2:2.31.0`,
      ENV,
      /is in ECR but pinned by tag only: append its digest .*aws ecr describe-images --repository-name elastalert2 --image-ids imageTag=2\.31\.0/,
    ],
    [
      "another account's registry",
      `999999999999.dkr.ecr.eu-west-1.amazonaws.com/elastalert2:2.31.0@${DIGEST}`,
      ENV,
      /account 999999999999, not of the environment's account 111111111111: mirror it into 111111111111\.dkr\.ecr\.eu-west-1\.amazonaws\.com/,
    ],
    [
      "another region's registry",
      `111111111111.dkr.ecr.us-east-1.amazonaws.com/elastalert2:2.31.0@${DIGEST}`,
      ENV,
      /region us-east-1, not of the environment's region eu-west-1: mirror it into 111111111111\.dkr\.ecr\.eu-west-1/,
    ],
    [
      'an environment without account and region',
      `${HOST}/elastalert2:2.31.0@${DIGEST}`,
      {},
      /needs the environment's account and region \(set both\)/,
    ],
    [
      'a host that looks like ECR but is not one',
      `1111.dkr.ecr.eu-west-1.amazonaws.com/elastalert2:2.31.0@${DIGEST}`,
      ENV,
      /names 1111\.dkr\.ecr\.eu-west-1\.amazonaws\.com, which is not a private ECR registry host/,
    ],
  ])('%s is refused, with the fix', (_what, image, env, message) => {
    expect(ecrImageProblem(image, env)).toMatch(message);
  });
});
