import * as path from 'path';

/**
 * A source path that names no machine folder: `node_modules/<package>/…` for installed code (from the first
 * node_modules on, so a linked node_modules and an installed one give the same path), else relative to the project
 * root, with `/` separators.
 */
export function stableSourcePath(absolute: string, root: string): string {
  const p = absolute.split(path.sep).join('/');
  const i = p.indexOf('/node_modules/');
  if (i >= 0) return p.slice(i + 1);
  return path.relative(root, absolute).split(path.sep).join('/');
}

/**
 * esbuild writes a source map's `sources` relative to the output folder, which is a temporary folder: the asset (and
 * its hash) would then depend on where the checkout and the temp folder are. Rewrites them relative to the project
 * root (see stableSourcePath); a runtime then shows them under the function's code folder, e.g.
 * `/var/task/lambda/rolling-replacement/workflow.ts`.
 */
export function stableSourceMap(mapText: string, mapDir: string, root: string): string {
  const map = JSON.parse(mapText) as { sources?: string[]; sourceRoot?: string };
  map.sources = (map.sources ?? []).map((s) => stableSourcePath(path.resolve(mapDir, map.sourceRoot ?? '', s), root));
  delete map.sourceRoot;
  return JSON.stringify(map);
}
