import * as fs from 'fs';
import * as path from 'path';
import { synthesize } from '../../lib/boot';
import { PROJECT_ROOT } from '../helpers/app';

/** Every environment of config/environments (default.yaml is the base, not an environment). */
export const ENVIRONMENTS = fs
  .readdirSync(path.join(PROJECT_ROOT, 'config', 'environments'))
  .filter((f) => f.endsWith('.yaml') && f !== 'default.yaml')
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

/** Copies the staged asset folder holding `file` of an environment's stage and lets `patch` edit it (a broken copy). */
export function patchStagedScript(cdkOut: string, environment: string, file: string, patch: (text: string) => string) {
  const dir = path.join(cdkOut, `assembly-${environment}`);
  const manifests = fs.readdirSync(dir).filter((f) => f.endsWith('.assets.json'));
  let patched = 0;
  for (const m of manifests) {
    const files = (
      JSON.parse(fs.readFileSync(path.join(dir, m), 'utf8')) as { files: Record<string, { source: { path: string } }> }
    ).files;
    for (const f of Object.values(files)) {
      const target = path.join(path.resolve(dir, f.source.path), file);
      if (fs.existsSync(target)) {
        const before = fs.readFileSync(target, 'utf8');
        const after = patch(before);
        if (after === before) throw new Error(`the patch changes nothing in ${file}`);
        fs.writeFileSync(target, after);
        patched++;
      }
    }
  }
  if (patched === 0) throw new Error(`no staged asset of ${environment} holds ${file}`);
}

/** Synthesizes the environments once into a temporary folder. */
export function synthOnce(environments: readonly string[]): string {
  return synthesize(environments);
}
