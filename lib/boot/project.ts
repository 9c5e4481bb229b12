import * as fs from 'fs';
import * as path from 'path';

/** The project root (this file is lib/boot/project.ts). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** The stub commands of the rehearsal (shipped with the CLI). */
export const STUBS_DIR = path.join(__dirname, 'stubs');

/** cdk.json's context (a `new App()` does not read cdk.json; the rehearsal synthesizes with the same flags). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}
