import { readElkAssembly } from './assembly';
import { Format, renderReport } from './render';
import { diffAssemblies, DiffReport, FailKind } from './report';

export { FAIL_KINDS, parseFailOn } from './fail-on';

export interface DiffCommandOptions {
  readonly base: string;
  readonly head: string;
  readonly format?: Format;
  /** Names shown in the report's title instead of the folder paths. */
  readonly baseLabel?: string;
  readonly headLabel?: string;
  /** Exit 1 when the diff contains one of these kinds of change. */
  readonly failOn?: readonly FailKind[];
}

export interface DiffCommandResult {
  readonly report: DiffReport;
  readonly output: string;
  /** 1 when a --fail-on kind is present, else 0. */
  readonly exitCode: number;
  /** The --fail-on kinds that matched. */
  readonly failed: readonly FailKind[];
}

/** The diff command without process I/O: read both assemblies, compare, render, decide the exit code. */
export function runDiff(options: DiffCommandOptions): DiffCommandResult {
  const report = diffAssemblies(readElkAssembly(options.base), readElkAssembly(options.head), {
    base: options.baseLabel ?? options.base,
    head: options.headLabel ?? options.head,
  });
  const failed = (options.failOn ?? []).filter((k) => report.has[k]);
  return { report, output: renderReport(report, options.format ?? 'text'), exitCode: failed.length ? 1 : 0, failed };
}
