import * as fs from 'fs';
import { readStage, rehearseStage, RehearsalReport } from '../../lib/boot';
import { synthOnce } from './helpers';

// The two-phase CA rotation of docs/security.md, rehearsed on dev's Elasticsearch nodes (3 masters, 2 data nodes).
let cdkOut: string;
let full: RehearsalReport;
let skipped: RehearsalReport;

beforeAll(async () => {
  cdkOut = synthOnce(['dev']);
  const stage = readStage(cdkOut, 'dev');
  [full, skipped] = await Promise.all([
    rehearseStage(stage, { environment: 'dev', scenarios: ['ca-rotation'] }),
    // The mistake the procedure's phase 1 prevents: signing with the new CA before every node trusts it.
    rehearseStage(stage, { environment: 'dev', scenarios: ['ca-rotation'], rotationPhases: ['sign-new', 'drop-old'] }),
  ]);
}, 600_000);
afterAll(() => fs.rmSync(cdkOut, { recursive: true, force: true }));

test('trust both, sign with the new CA, drop the old: every pair of nodes trusts each other after every node', () => {
  expect(full.findings).toEqual([]);
  const nodes = full.scenarios[0]!.nodes;
  // Five nodes booted, then each replaced once in the sign-new phase, every boot healthy.
  expect(nodes).toHaveLength(10);
  expect(nodes.every((n) => n.ok)).toBe(true);
});

test('signing with the new CA before every node trusts it breaks the transport between old and new nodes', () => {
  expect(skipped.ok).toBe(false);
  const trust = skipped.findings.filter((f) => f.check === 'mutual-trust');
  expect(trust.length).toBeGreaterThan(0);
  // The first replacement already cannot talk to any of the four nodes that trust only the old CA.
  const first = trust.filter((f) => f.message.startsWith(trust[0]!.message.split(':')[0]!));
  expect(first).toHaveLength(4);
  for (const f of trust)
    expect(f.message).toMatch(/^phase sign-new, after i-\w+: .* does not trust the certificate of/);
  // Only the trust check fails: every certificate is well-formed and signed by the CA the issuer signs with.
  expect(skipped.findings.filter((f) => f.check !== 'mutual-trust')).toEqual([]);
});
