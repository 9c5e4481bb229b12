import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';
import { DEFAULT_CONFIG_DIR } from '../../lib/config';
import { FIXED_VERSION } from '../cluster/helpers';
import { cdkJsonContext } from '../helpers/app';

/**
 * Synthesizes one environment of the real configuration, with some files of config/environments replaced, into a
 * cloud assembly folder: what `npm run synth` produces before and after a config change.
 */
export class ConfigWorkspace {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-config-change-'));
  private n = 0;

  /** A copy of config/environments with `edits` applied (file name → transform of its text). */
  configDir(edits: Record<string, (text: string) => string> = {}): string {
    const dir = path.join(this.root, `config-${this.n++}`);
    fs.cpSync(DEFAULT_CONFIG_DIR, dir, { recursive: true });
    for (const [file, edit] of Object.entries(edits)) {
      const p = path.join(dir, file);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, edit(fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : ''));
    }
    return dir;
  }

  /** Synthesizes `environment` from `configDir` and returns the assembly folder. */
  synth(environment: string, configDir: string): string {
    const outdir = path.join(this.root, `out-${this.n++}`);
    // Without the synth gates (cdk-nag, validator): they are tested elsewhere and take most of the time.
    const app = new App({
      outdir,
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    buildApp(app, { environments: [environment], configDir, version: FIXED_VERSION, validate: false });
    app.synth();
    return outdir;
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Appends YAML to a file's text (a later key wins in our deep merge only across files, so edit whole keys). */
export const append =
  (yaml: string) =>
  (text: string): string =>
    `${text.trimEnd()}\n${yaml}\n`;
