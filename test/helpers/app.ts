import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** cdk.json's context: jest's `new App()` does not read cdk.json, so tests pass it explicitly. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * An App with the same feature flags as `cdk synth`. Bundling is skipped unless `bundle` is true
 * (keep at least one test that bundles for real).
 */
export function testApp(options: { bundle?: boolean; outdir?: string; context?: Record<string, unknown> } = {}): App {
  return new App({
    outdir: options.outdir,
    context: {
      ...cdkJsonContext(),
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...(options.context ?? {}),
    },
  });
}
