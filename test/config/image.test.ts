import { imageProblem, parseImage, tagOnlyWarning } from '../../lib/config';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('alerter.image references', () => {
  test.each([
    ['jertel/elastalert2:2.31.0', { repository: 'jertel/elastalert2', tag: '2.31.0' }],
    [`jertel/elastalert2:2.31.0@${DIGEST}`, { repository: 'jertel/elastalert2', tag: '2.31.0', digest: DIGEST }],
    [
      `111111111111.dkr.ecr.eu-west-1.amazonaws.com/mirror/elastalert2:2.31.0@${DIGEST}`,
      { repository: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/mirror/elastalert2', tag: '2.31.0', digest: DIGEST },
    ],
    ['registry.local:5000/elastalert2:2.31.0', { repository: 'registry.local:5000/elastalert2', tag: '2.31.0' }],
  ])('%s is accepted', (image, parsed) => {
    expect(parseImage(image)).toEqual(parsed);
    expect(imageProblem(image, false)).toBeUndefined();
  });

  test.each([
    ['no tag', 'jertel/elastalert2'],
    ['a digest without a tag', `jertel/elastalert2@${DIGEST}`],
    ['a short digest', 'jertel/elastalert2:2.31.0@sha256:abc'],
    ['an upper-case digest', `jertel/elastalert2:2.31.0@${DIGEST.toUpperCase()}`],
    ['another algorithm', `jertel/elastalert2:2.31.0@sha512:${'0'.repeat(64)}`],
    ['spaces', 'jertel/elastalert2: 2.31.0'],
  ])('%s is refused with the accepted forms and where the digest comes from', (_what, image) => {
    expect(parseImage(image)).toBeUndefined();
    expect(imageProblem(image, false)).toMatch(
      /^must be <repository>:<tag> or, pinned by digest, <repository>:<tag>@sha256:<64 lowercase hex digits> .*imagetools inspect/,
    );
  });

  test("'latest' is never a pin", () => {
    expect(imageProblem('jertel/elastalert2:latest', false)).toMatch(/'latest' is not a pin: name a release tag/);
  });

  test('alerter.requireImageDigest refuses a tag-only image and says how to fix it; a digest passes', () => {
    expect(imageProblem('jertel/elastalert2:2.31.0', true)).toMatch(
      /pinned by tag only, and alerter\.requireImageDigest is true: append the digest \(jertel\/elastalert2:2\.31\.0@sha256:<64 hex>.*or set alerter\.requireImageDigest: false/,
    );
    expect(imageProblem(`jertel/elastalert2:2.31.0@${DIGEST}`, true)).toBeUndefined();
  });

  test('the synth warning exists for a tag-only image only', () => {
    expect(tagOnlyWarning('jertel/elastalert2:2.31.0')).toMatch(/pinned by tag only/);
    expect(tagOnlyWarning(`jertel/elastalert2:2.31.0@${DIGEST}`)).toBeUndefined();
  });
});
