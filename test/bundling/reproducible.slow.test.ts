/**
 * The same commit synthesized in two folders, with two TMPDIRs, one with node_modules linked to this checkout's
 * (what `npm run diff:base` does) and one with a real node_modules folder (as `npm ci` leaves it), must give
 * byte-identical templates and the same asset hashes: otherwise every pull request's diff shows changed Lambda
 * functions. One environment, both synths at once. Minutes on a busy machine: `npm run test:slow`, not `npm test`.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { PROJECT_ROOT } from '../helpers/app';
import { checkoutFiles, copyCheckout, linkNodeModules } from '../helpers/checkout';

const run = promisify(execFile);
const ENV = 'ci';

/** A real node_modules folder, as an install leaves it (hard links when the file system allows, else a copy). */
function installNodeModules(to: string): void {
  const from = path.join(PROJECT_ROOT, 'node_modules');
  try {
    execFileSync('cp', ['-al', from, path.join(to, 'node_modules')], { stdio: 'ignore' });
  } catch {
    fs.rmSync(path.join(to, 'node_modules'), { recursive: true, force: true });
    execFileSync('cp', ['-a', from, path.join(to, 'node_modules')], { stdio: 'ignore' });
  }
}

async function synth(checkout: string, tmp: string): Promise<string> {
  const out = path.join(checkout, 'cdk.out');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: tmp,
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
  await run(
    path.join(checkout, 'node_modules', '.bin', 'cdk'),
    ['synth', '--quiet', '--no-lookups', '-c', `envs=${ENV}`, '-o', out],
    { cwd: checkout, env, maxBuffer: 64 * 1024 * 1024 },
  );
  return out;
}

/** Relative path → content, for templates and manifests; asset folders and files by name (the name is the hash). */
function assemblyFacts(dir: string): { templates: Map<string, string>; assets: string[] } {
  const templates = new Map<string, string>();
  const assets: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.name.startsWith('asset.')) assets.push(rel);
      else if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.template.json') || e.name.endsWith('.assets.json')) {
        templates.set(rel, fs.readFileSync(p, 'utf8'));
      }
    }
  };
  walk(dir);
  return { templates, assets: assets.sort() };
}

describe('reproducible synth', () => {
  let base: string;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-repro-'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('gives byte-identical templates and asset hashes in two folders, and leaves no bundle folder behind', async () => {
    const files = checkoutFiles();
    const [a, b, tmpA, tmpB] = ['linked', 'installed', 'tmp-a', 'tmp-b'].map((n) => path.join(base, n));
    for (const d of [a, b, tmpA, path.join(tmpB, 'deeper')]) fs.mkdirSync(d, { recursive: true });
    copyCheckout(files, a);
    copyCheckout(files, path.join(b, 'checkout'));
    linkNodeModules(a);
    installNodeModules(path.join(b, 'checkout'));

    const [outA, outB] = await Promise.all([
      synth(a, tmpA),
      synth(path.join(b, 'checkout'), path.join(tmpB, 'deeper')),
    ]);
    const factsA = assemblyFacts(outA);
    const factsB = assemblyFacts(outB);

    expect(factsA.templates.size).toBeGreaterThan(0);
    expect([...factsB.templates.keys()].sort()).toEqual([...factsA.templates.keys()].sort());
    for (const [file, text] of factsA.templates)
      expect({ file, text: factsB.templates.get(file) }).toEqual({ file, text });
    expect(factsA.assets.length).toBeGreaterThan(3);
    expect(factsB.assets).toEqual(factsA.assets);

    // Bundles and rule archives are staged into cdk.out; their temp folders go when the app exits.
    const leftovers = [...fs.readdirSync(tmpA), ...fs.readdirSync(path.join(tmpB, 'deeper'))].filter((e) =>
      /^elk-(cdk|alerter)-bundle-/.test(e),
    );
    expect(leftovers).toEqual([]);
  }, 900_000);
});
