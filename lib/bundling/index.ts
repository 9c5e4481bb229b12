import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { buildSync } from 'esbuild';
import { stableSourceMap } from './source-map';
import { processTempDir } from './temp';

export { stableSourceMap, stableSourcePath } from './source-map';
export { processTempDir } from './temp';

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

/** The nearest folder at or above `from` with a package.json (the project root of an entry). */
export function projectRoot(from: string): string {
  let dir = path.resolve(from);
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(from);
    dir = up;
  }
  return dir;
}

/**
 * Bundles `entry` into `outDir/index.js` (+ `index.js.map`). The output depends on the sources' content only, not on
 * where the checkout, its node_modules or the temp folder are: esbuild runs from the project root and the source
 * map's `sources` are rewritten relative to it (node_modules paths from `node_modules/` on, whether the folder is
 * installed or a set of symlinks to another checkout's).
 */
export function bundle(entry: string, outDir: string, options: PrebundleOptions): void {
  const abs = path.resolve(entry);
  const root = projectRoot(path.dirname(abs));
  const result = buildSync({
    absWorkingDir: root,
    entryPoints: [abs],
    bundle: true,
    platform: 'node',
    target: options.target,
    outfile: path.join(outDir, 'index.js'),
    minify: options.minify,
    sourcemap: options.sourceMap,
    sourcesContent: options.sourcesContent ?? true,
    external: [...options.externalModules],
    // Module paths as seen through node_modules, also when node_modules is a folder of symlinks.
    preserveSymlinks: true,
    logLevel: 'warning',
    write: false,
  });
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of result.outputFiles) {
    const contents = f.path.endsWith('.map') ? stableSourceMap(f.text, path.dirname(f.path), root) : f.contents;
    fs.writeFileSync(f.path, contents);
  }
}

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
    // Code.fromAsset stages (copies) the folder when the function is constructed, so it is not needed after exit.
    outDir = processTempDir(`elk-cdk-bundle-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}-`);
    bundled.set(key, outDir);
    bundle(entry, outDir, options);
  }
  return lambda.Code.fromAsset(outDir);
}
