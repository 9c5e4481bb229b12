import { createHash } from 'crypto';
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

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Lets `patch` edit `file` in the staged asset folders of an environment's stage (a broken copy). With `repin` (the
 * default) the SHA-256 pinned for it in the stage's templates follows, as a synth of the broken scripts would give;
 * without, the templates keep the pin of the original (an asset altered after synth).
 */
export function patchStagedScript(
  cdkOut: string,
  environment: string,
  file: string,
  patch: (text: string) => string,
  repin = true,
) {
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
        if (repin) {
          for (const t of fs.readdirSync(dir).filter((x) => x.endsWith('.template.json'))) {
            const text = fs.readFileSync(path.join(dir, t), 'utf8');
            fs.writeFileSync(path.join(dir, t), text.split(sha256(before)).join(sha256(after)));
          }
        }
      }
    }
  }
  if (patched === 0) throw new Error(`no staged asset of ${environment} holds ${file}`);
}

/**
 * Lets `patch` edit a file asset of an environment's stage by its display name (e.g. `Alerter/DeployScript`, the
 * alerter's deploy-rules.sh), the SHA-256 pinned for it in the templates following (a synth of the broken script).
 */
export function patchStagedFileAsset(
  cdkOut: string,
  environment: string,
  displayName: string,
  patch: (text: string) => string,
) {
  const dir = path.join(cdkOut, `assembly-${environment}`);
  let patched = 0;
  for (const m of fs.readdirSync(dir).filter((f) => f.endsWith('.assets.json'))) {
    const files = (
      JSON.parse(fs.readFileSync(path.join(dir, m), 'utf8')) as {
        files: Record<string, { displayName?: string; source: { path: string } }>;
      }
    ).files;
    for (const f of Object.values(files).filter((x) => x.displayName === displayName)) {
      const target = path.resolve(dir, f.source.path);
      const before = fs.readFileSync(target, 'utf8');
      const after = patch(before);
      if (after === before) throw new Error(`the patch changes nothing in ${displayName}`);
      fs.writeFileSync(target, after);
      patched++;
      for (const t of fs.readdirSync(dir).filter((x) => x.endsWith('.template.json'))) {
        const text = fs.readFileSync(path.join(dir, t), 'utf8');
        fs.writeFileSync(path.join(dir, t), text.split(sha256(before)).join(sha256(after)));
      }
    }
  }
  if (patched === 0) throw new Error(`no file asset ${displayName} in the stage of ${environment}`);
}

/** Synthesizes the environments once into a temporary folder. */
export function synthOnce(environments: readonly string[]): string {
  return synthesize(environments);
}
