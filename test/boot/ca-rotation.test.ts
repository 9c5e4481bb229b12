import * as fs from 'fs';
import { readStage, rehearseStage, RehearsalReport } from '../../lib/boot';
import { deployPhase, issuerMaterial, REHEARSAL_CA_NAME } from '../../lib/boot/ca-rotation';
import { caSecretString, createCa } from '../../lambda/cluster-ca/ca';
import { synthOnce } from './helpers';

// The CA rotation of docs/security.md (security.caRotation), rehearsed on dev's Elasticsearch nodes (3 masters, 2 data
// nodes) and Kibana: each phase's secret change comes from the cluster-CA custom resource's phase function, then
// every node is replaced as the rolling replacement (and, for Kibana, CloudFormation's rolling update) does it.
let cdkOut: string;
let full: RehearsalReport;
let skipped: RehearsalReport;

beforeAll(async () => {
  cdkOut = synthOnce(['dev']);
  const stage = readStage(cdkOut, 'dev');
  [full, skipped] = await Promise.all([
    rehearseStage(stage, { environment: 'dev', scenarios: ['ca-rotation'] }),
    // The mistake the trust phase prevents: signing with the new CA before every node trusts it.
    rehearseStage(stage, { environment: 'dev', scenarios: ['ca-rotation'], rotationPhases: ['sign-new', 'drop-old'] }),
  ]);
}, 600_000);
afterAll(() => fs.rmSync(cdkOut, { recursive: true, force: true }));

test('trust-new, sign-new, drop-old, each rolled: every pair of live nodes trusts each other after every step', () => {
  expect(full.findings).toEqual([]);
  const scenario = full.scenarios[0]!;
  expect(scenario.description).not.toMatch(/^stopped/);
  // Five Elasticsearch nodes and Kibana booted, then each replaced once per phase (three rolls), every boot healthy.
  expect(scenario.nodes).toHaveLength(24);
  expect(scenario.nodes.every((n) => n.ok)).toBe(true);
  // Data nodes are replaced before the masters, Kibana after the Elasticsearch roll, in every roll.
  const replaced = scenario.nodes.slice(6).map((n) => n.role);
  expect(replaced).toEqual([...Array(3)].flatMap(() => ['data', 'data', 'master', 'master', 'master', 'kibana']));
});

test('skipping the trust phase is refused by the config check, before any node or secret changes', () => {
  expect(skipped.ok).toBe(false);
  expect(skipped.findings).toEqual([
    expect.objectContaining({
      check: 'ca-rotation-config',
      message: expect.stringMatching(
        /^phase sign-new: refused: config\/environments\/dev\.yaml: security\.caRotation: is \{rotation: 1, phase: sign-new\} but \(not set\) is deployed: phases cannot be skipped.*Deploy \{rotation: 1, phase: trust-new\} first/,
      ),
    }),
  ]);
  // Only the first deployment's six nodes booted: no replacement ran.
  expect(skipped.scenarios[0]!.nodes).toHaveLength(6);
});

test('the CA custom resource refuses the skip too, when the config check is bypassed (no deployed record)', () => {
  const initial = caSecretString(
    createCa({ commonName: REHEARSAL_CA_NAME, organization: 'elk-cdk', validityDays: 30, now: new Date() }),
  );
  // As if the record said trust-new was deployed, while the secret never got the new CA.
  const r = deployPhase(initial, { rotation: 1, phase: 'trust-new' }, { rotation: 1, phase: 'sign-new' }, 'x.yaml');
  expect(r).toEqual({
    ok: false,
    refusedBy: 'ca-resource',
    message: expect.stringMatching(/^x\.yaml: security\.caRotation: \{rotation: 1, phase: sign-new\} is refused/),
  });
  // In order, the issuer signs with the old CA, then the new one, and trusts both until the old one is dropped.
  const trust = deployPhase(initial, undefined, { rotation: 1, phase: 'trust-new' }, 'x.yaml');
  if (!trust.ok) throw new Error(trust.message);
  expect(issuerMaterial(trust.secret).trustPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
});
