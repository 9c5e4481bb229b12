/** Index definitions as code: component templates, index templates and ILM policies read from `indices/`. */

export type DefinitionKind = 'component-template' | 'index-template' | 'ilm-policy';

/** The folder of each kind under `indices/`, and the Elasticsearch API that takes it. */
export const KIND_FOLDERS: Readonly<Record<DefinitionKind, string>> = {
  'component-template': 'component-templates',
  'index-template': 'index-templates',
  'ilm-policy': 'ilm-policies',
};

export interface IndexDefinition {
  readonly kind: DefinitionKind;
  /** The name in Elasticsearch: the file name without `.yaml`/`.yml`. */
  readonly name: string;
  /** Path relative to the project (for messages). */
  readonly file: string;
  /** The request body, tokens replaced. */
  readonly body: Record<string, unknown>;
}

export interface IndexProblem {
  readonly file: string;
  /** Dotted key path inside the file, `-` for the whole file. */
  readonly key: string;
  readonly message: string;
}

export const formatIndexProblem = (p: IndexProblem): string => `${p.file}: ${p.key}: ${p.message}`;

/** Thrown at synth when index definitions are invalid; lists every problem, one per line. */
export class IndexDefinitionError extends Error {
  constructor(
    readonly environment: string,
    readonly problems: readonly IndexProblem[],
  ) {
    super(
      `index definitions of environment "${environment}" are invalid (${problems.length} problem(s)):\n  ` +
        problems.map(formatIndexProblem).join('\n  '),
    );
    this.name = 'IndexDefinitionError';
  }
}
