import { loadEnvironment } from '../../lib/config';
import { ENVIRONMENTS, logicalId, resourcesOf, synthEnvironment } from './helpers';

// TLS between the Kibana ALB and Kibana, and a health check that needs no anonymous full status (issue #13).

describe.each(ENVIRONMENTS.filter((e) => loadEnvironment(e).kibana.count > 0))('Kibana behind its ALB (%s)', (env) => {
  const s = synthEnvironment(env);
  const kibana = s.stack.kibana!;
  const [tg, ...more] = Object.values(resourcesOf(s, 'AWS::ElasticLoadBalancingV2::TargetGroup')).filter(
    (r) => r.Properties!.Port === 5601,
  );

  test('the target group speaks HTTPS to 5601 and checks /api/status over HTTPS, 200 only', () => {
    expect(more).toEqual([]);
    expect(tg!.Properties).toMatchObject({
      Protocol: 'HTTPS',
      Port: 5601,
      HealthCheckProtocol: 'HTTPS',
      HealthCheckPath: '/api/status',
      // not 401: with status.allowAnonymous false Kibana 8.9+ answers 200 (available) or 503, never 401
      Matcher: { HttpCode: '200' },
    });
  });

  test("Kibana's group is in the issuer policy with its role and kibana.<env>.elk.internal", () => {
    const [param] = Object.values(resourcesOf(s, 'AWS::SSM::Parameter')).filter(
      (r) => r.Properties!.Name === `/elk/${env}/security/issuer-policy`,
    );
    const value = JSON.stringify(param!.Properties!.Value);
    expect(value).toContain(logicalId(s.stack, kibana.autoScalingGroup));
    expect(value).toContain(logicalId(s.stack, kibana.instanceRole));
    expect(value).toContain(`"profile\\":\\"kibana\\"`);
    expect(value).toContain(`kibana.${env}.elk.internal`);
  });

  test('its user data carries the issuer URL and the service name (kibana-boot.sh installs the certificate)', () => {
    const lt = s.json.Resources[logicalId(s.stack, kibana.launchTemplate)]!;
    const userData = JSON.stringify(lt.Properties!.LaunchTemplateData.UserData);
    expect(userData).toContain('ELK_CERT_ISSUER_URL');
    expect(userData).toContain(`ELK_SERVICE_NAME='kibana.${env}.elk.internal'`);
  });
});
