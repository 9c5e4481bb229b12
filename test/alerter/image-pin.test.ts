import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AlerterStack } from '../../lib/alerter/AlerterStack';
import { loadEnvironment } from '../../lib/config';
import { testApp } from '../helpers/app';

// The ElastAlert image (issue #13): a tag-only image is a warning at every synth; pinned by digest, none.

const DIGEST = `sha256:${'ab12'.repeat(16)}`;

function warnings(image: string): string[] {
  const config = { ...loadEnvironment('dev'), alerter: { ...loadEnvironment('dev').alerter, image } };
  const app = testApp();
  const net = new Stack(app, 'Net');
  const vpc = new ec2.Vpc(net, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const stack = new AlerterStack(app, 'Alerter', { config, vpc, esEndpoint: 'es.dev.elk.internal' });
  return Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('alerter\\.image'))
    .map((w) => String(w.entry.data));
}

describe('alerter.image at synth', () => {
  test('pinned by tag only (the default): one warning naming the key, the risk and the fix', () => {
    expect(warnings('jertel/elastalert2:2.31.0')).toEqual([
      expect.stringMatching(
        /^alerter\.image jertel\/elastalert2:2\.31\.0 is pinned by tag only: .* Pin it by digest \(jertel\/elastalert2:2\.31\.0@sha256:<64 hex>.*set alerter\.requireImageDigest: true/,
      ),
    ]);
  });

  test('pinned by digest (e.g. a mirror in ECR): no warning', () => {
    expect(warnings(`111111111111.dkr.ecr.eu-west-1.amazonaws.com/elastalert2:2.31.0@${DIGEST}`)).toEqual([]);
  });
});
