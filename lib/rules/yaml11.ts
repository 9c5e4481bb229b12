import {
  Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  ParseOptions,
  DocumentOptions,
  SchemaOptions,
  ToStringOptions,
} from 'yaml';

/**
 * YAML 1.1 exactly as PyYAML (ElastAlert's parser) resolves plain scalars.
 *
 * The `yaml` package's 1.1 schema is close to PyYAML but not identical; the differences that matter for rules:
 * - `y`, `n` (and `Y`, `N`) are booleans for `yaml`, strings for PyYAML;
 * - `08` and `09` are integers for `yaml`, strings for PyYAML (not octal, not decimal);
 * - `1e3` is a float for `yaml`, a string for PyYAML (PyYAML's float needs a dot and a signed exponent);
 * - `.` is NaN for `yaml`, a string for PyYAML.
 * The regular expressions below are PyYAML's implicit resolvers (yaml/resolver.py).
 */
const PY_BOOL_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_BOOL_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PY_INT_DECIMAL = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const PY_FLOAT_EXP = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+|\.[0-9][0-9_]*[eE][-+][0-9]+)$/;
const PY_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/;

/** Plain scalars PyYAML resolves to tags it cannot construct (`=`: value, `<<`: merge outside a mapping key). */
export const PY_SPECIAL_PLAIN: ReadonlySet<string> = new Set(['=', '<<']);

/** Integers as numbers where a JS number holds them exactly, as BigInt beyond 2^53 (parsed with intAsBigInt). */
export function exactIntegers(v: unknown): unknown {
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(exactIntegers);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, exactIntegers(x)]));
  }
  return v;
}

function hasBigInt(v: unknown): boolean {
  if (typeof v === 'bigint') return true;
  if (Array.isArray(v)) return v.some(hasBigInt);
  if (v && typeof v === 'object' && !(v instanceof Date)) return Object.values(v).some(hasBigInt);
  return false;
}

/** The same tree with every BigInt as a (rounded) number: for checks that only need the type and magnitude. */
export function approximateIntegers(v: unknown): unknown {
  return hasBigInt(v) ? approximate(v) : v;
}

function approximate(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(approximate);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, approximate(x)]));
  }
  return v;
}

type TagLike = { tag: string; format?: string; test?: RegExp; default?: unknown };

function pyTags(tags: unknown[]): unknown[] {
  return (tags as TagLike[]).map((t) => {
    if (!t.test) return t;
    if (t.tag === 'tag:yaml.org,2002:bool') {
      return { ...t, test: t.test.test('true') ? PY_BOOL_TRUE : PY_BOOL_FALSE };
    }
    if (t.tag === 'tag:yaml.org,2002:int' && !t.format) return { ...t, test: PY_INT_DECIMAL };
    if (t.tag === 'tag:yaml.org,2002:float' && t.format === 'EXP') return { ...t, test: PY_FLOAT_EXP };
    if (t.tag === 'tag:yaml.org,2002:float' && !t.format && !t.test.test('.inf')) return { ...t, test: PY_FLOAT };
    return t;
  });
}

const YAML11: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  merge: true,
  // PyYAML keeps the last of duplicate keys silently; we refuse them (reported as an error by the caller).
  uniqueKeys: true,
  // Python integers have no size limit: keep every integer exact (the compiler turns safe ones back into numbers).
  intAsBigInt: true,
  customTags: pyTags as SchemaOptions['customTags'],
};

/** Parses text with PyYAML's YAML 1.1 resolution. The caller checks `doc.errors` / `doc.warnings`. */
export function parseYaml11(text: string): Document.Parsed {
  return parseDocument(text, { ...YAML11, prettyErrors: true });
}

/** The value PyYAML reads from a YAML text (integers beyond 2^53 as BigInt); throws on a YAML error. */
export function readYaml11(text: string): unknown {
  const doc = parseYaml11(text);
  if (doc.errors.length > 0) throw doc.errors[0]!;
  return exactIntegers(doc.toJS({ maxAliasCount: 1000 }));
}

export type Yaml11Kind = 'str' | 'int' | 'float' | 'bool' | 'null' | 'timestamp';

type ImplicitTag = {
  tag: string;
  default?: unknown;
  test?: RegExp;
  resolve: (src: string, onError: (msg: string) => void, options: { intAsBigInt: boolean }) => unknown;
};
let implicitTags: ImplicitTag[] | undefined;
const resolved = new Map<string, { kind: Yaml11Kind; value: unknown }>();

/** How PyYAML resolves an unquoted (plain) scalar with this text: its kind and value. */
export function resolvePlain(text: string): { kind: Yaml11Kind; value: unknown } {
  const hit = resolved.get(text);
  if (hit) return hit;
  implicitTags ??= (new Document(null, YAML11).schema.tags as unknown as ImplicitTag[]).filter(
    (t) => t.default === true && t.test,
  );
  let out: { kind: Yaml11Kind; value: unknown } = { kind: 'str', value: text };
  const tag = implicitTags.find((t) => t.test!.test(text));
  if (tag) {
    const r = tag.resolve(text, () => undefined, { intAsBigInt: false });
    const value = isScalar(r) ? r.value : r;
    if (value === null) out = { kind: 'null', value };
    else if (typeof value === 'boolean') out = { kind: 'bool', value };
    else if (typeof value === 'number') out = { kind: tag.tag.endsWith(':int') ? 'int' : 'float', value };
    else if (value instanceof Date) out = { kind: 'timestamp', value };
  }
  if (resolved.size < 10000) resolved.set(text, out);
  return out;
}

/** Serializes a value so that PyYAML reads back exactly this value (strings such as "yes" or "0123" get quoted). */
let writer: Document | undefined;

export function stringifyYaml11(value: unknown, options: ToStringOptions = {}): string {
  // One document reused: building the (custom) schema per call costs more than the serialization itself.
  // merge off: `<<` is written as a quoted string (with merge on, the writer prints it bare as a merge key).
  writer ??= new Document(null, {
    ...YAML11,
    merge: false,
    customTags: ((tags: unknown[]) =>
      (pyTags(tags) as TagLike[]).filter((t) => t.tag !== 'tag:yaml.org,2002:merge')) as SchemaOptions['customTags'],
  });
  const doc = writer;
  doc.contents = doc.createNode(value);
  // `${VAR}` references (secrets, ES_HOST) are double-quoted, so the value ElastAlert substitutes before parsing
  // stays one string whatever its characters (the on-instance script refuses double quotes, backslashes and line breaks in values).
  quoteSpecial(doc.contents);
  return doc.toString({ lineWidth: 0, ...options });
}

/** Every scalar of the tree (keys too) that must be double-quoted; a plain walk, cheaper than `visit` per rule. */
function quoteSpecial(node: unknown): void {
  if (isScalar(node)) {
    if (typeof node.value !== 'string') return;
    // `=` (YAML 1.1 value tag) and `<<` (merge key) are not text for PyYAML when plain: always quote them.
    if (/\$\{[A-Z][A-Z0-9_]*\}/.test(node.value) || PY_SPECIAL_PLAIN.has(node.value)) node.type = 'QUOTE_DOUBLE';
  } else if (isMap(node) || isSeq(node)) {
    for (const item of node.items) {
      if (isPair(item)) {
        quoteSpecial(item.key);
        quoteSpecial(item.value);
      } else quoteSpecial(item);
    }
  }
}
