import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { buildSync } from 'esbuild';

/** The esbuild options NodejsFunction's `bundling` would pass to the esbuild CLI, for the ones this project uses. */
export interface PrebundleOptions {
  readonly target: string;
  readonly minify: boolean;
  readonly sourceMap: boolean;
  /** Default true, as in NodejsFunction. */
  readonly sourcesContent?: boolean;
  readonly externalModules: readonly string[];
}

const bundled = new Map<string, string>();

/**
 * Code for a NodejsFunction (its `code` prop), bundled once per process with esbuild's JS API and the same options
 * NodejsFunction's local bundling gives the esbuild CLI (`--bundle entry --platform=node --outfile=index.js ...`).
 * Same bundle, but no `npx esbuild` spawn per function and per environment: each entry is built once for all stacks.
 * The handler must then be given as `index.<export>`. Where the app skips bundling for the stack of `scope`
 * (context `aws:cdk:bundling-stacks`, e.g. unit tests), the entry's folder is the asset and nothing is built,
 * as NodejsFunction itself does.
 */
export function prebundledCode(scope: IConstruct, entry: string, options: PrebundleOptions): lambda.Code {
  if (!Stack.of(scope).bundlingRequired) return lambda.Code.fromAsset(path.dirname(path.resolve(entry)));
  const key = JSON.stringify([path.resolve(entry), options]);
  let outDir = bundled.get(key);
  if (!outDir) {
    outDir = path.join(
      os.tmpdir(),
      `elk-cdk-bundle-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}-${process.pid}`,
    );
    fs.rmSync(outDir, { recursive: true, force: true });
    // Code.fromAsset stages (copies) the folder when the function is constructed, so it is not needed after exit.
    if (bundled.size === 0)
      process.once('exit', () => bundled.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    buildSync({
      entryPoints: [path.resolve(entry)],
      bundle: true,
      platform: 'node',
      target: options.target,
      outfile: path.join(outDir, 'index.js'),
      minify: options.minify,
      sourcemap: options.sourceMap,
      sourcesContent: options.sourcesContent ?? true,
      external: [...options.externalModules],
      logLevel: 'warning',
    });
    bundled.set(key, outDir);
  }
  return lambda.Code.fromAsset(outDir);
}
