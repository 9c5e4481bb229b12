/** Version and byte-size helpers shared by the model and the HTTP face. */

const parsed = new Map<string, [number, number, number]>();

export function parseVersion(v: string): [number, number, number] {
  let r = parsed.get(v);
  if (!r) {
    const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
    if (!m) throw new Error(`not a version: ${v}`);
    r = [Number(m[1]), Number(m[2]), Number(m[3])];
    parsed.set(v, r);
  }
  return r;
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

export function majorOf(v: string): number {
  return parseVersion(v)[0];
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
  tb: 1024 ** 4,
  t: 1024 ** 4,
  pb: 1024 ** 5,
  p: 1024 ** 5,
};

/** Parses an Elasticsearch byte size ("40mb", "1gb", "512b", "1024"). Returns undefined when malformed. */
export function parseByteSize(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  if (!m) return undefined;
  const unit = m[2].toLowerCase() || 'b';
  const f = UNITS[unit];
  return f === undefined ? undefined : Math.round(Number(m[1]) * f);
}

/** Formats bytes like the _cat APIs do without `bytes=`: "1.2gb", "512mb", "0b". */
export function humanBytes(n: number): string {
  const units: [string, number][] = [
    ['pb', 1024 ** 5],
    ['tb', 1024 ** 4],
    ['gb', 1024 ** 3],
    ['mb', 1024 ** 2],
    ['kb', 1024],
  ];
  for (const [u, f] of units) {
    if (n >= f) {
      const v = n / f;
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${u}`;
    }
  }
  return `${n}b`;
}

/** Parses an Elasticsearch time value ("30s", "1m", "500ms", "0") into seconds. Undefined when malformed. */
export function parseTimeValue(s: string): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)?\s*$/.exec(s);
  if (!m) return undefined;
  const f: Record<string, number> = { nanos: 1e-9, micros: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };
  if (m[2] === undefined && Number(m[1]) !== 0 && Number(m[1]) !== -1) return undefined;
  return Number(m[1]) * (m[2] ? f[m[2]] : 1);
}
