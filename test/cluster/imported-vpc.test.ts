import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { stringify } from 'yaml';
import { buildApp } from '../../lib/app';
import { DEFAULT_CONFIG_DIR } from '../../lib/config';
import { testApp } from '../helpers/app';
import { FIXED_VERSION } from './helpers';

const VPC_ID = 'vpc-0abc12345def67890';
const LOOKUP_KEY = `vpc-provider:account=333333333333:filter.vpc-id=${VPC_ID}:region=eu-west-1:returnAsymmetricSubnets=true`;

/** What `cdk synth` caches in cdk.context.json for an imported VPC (the shape of the vpc-provider answer). */
const cachedLookup = {
  vpcId: VPC_ID,
  vpcCidrBlock: '10.70.0.0/16',
  ownerAccountId: '333333333333',
  availabilityZones: [],
  subnetGroups: [
    {
      name: 'Private',
      type: 'Private',
      subnets: ['a', 'b', 'c'].map((az, i) => ({
        subnetId: `subnet-0000000000000000${i}`,
        cidr: `10.70.${i}.0/24`,
        availabilityZone: `eu-west-1${az}`,
        routeTableId: `rtb-0000000000000000${i}`,
      })),
    },
  ],
};

describe('an environment that imports its VPC by id', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-vpc-'));
    fs.copyFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.yaml'), path.join(dir, 'default.yaml'));
    fs.writeFileSync(
      path.join(dir, 'imported.yaml'),
      stringify({
        account: '333333333333',
        region: 'eu-west-1',
        vpc: { vpcId: VPC_ID },
        kibana: { allowPlainHttp: true },
        alerter: { enabled: false },
      }),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('synthesizes from the cached lookup with nothing missing, using the VPC CIDR for the Beats/ALB rules', () => {
    const app = testApp({ context: { [LOOKUP_KEY]: cachedLookup } });
    const [stage] = buildApp(app, { configDir: dir, environments: ['imported'], version: FIXED_VERSION });
    const template = Template.fromStack(stage!.cluster);
    expect(stage!.synth({ validateOnSynthesis: false }).manifest.missing ?? []).toEqual([]);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      VPCZoneIdentifier: ['subnet-00000000000000000', 'subnet-00000000000000001', 'subnet-00000000000000002'],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: VPC_ID });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.70.0.0/16', FromPort: 80 })],
    });
    expect(JSON.stringify(template.toJSON())).toContain('10.70.0.0/16');
  });

  test('without the cached lookup the synth reports the missing context key instead of calling AWS', () => {
    const app = testApp();
    const [stage] = buildApp(app, { configDir: dir, environments: ['imported'], version: FIXED_VERSION });
    const missing = stage!.synth({ validateOnSynthesis: false }).manifest.missing ?? [];
    expect(missing.map((m) => m.key)).toEqual([LOOKUP_KEY]);
  });
});
