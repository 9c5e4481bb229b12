/**
 * Compares the shape of a simulator answer with a documented response (sim/fixtures/README.md describes the
 * conventions). Returns the list of differences, each naming the JSON path.
 */
export function shapeDiff(fixture: unknown, actual: unknown, path = '$'): string[] {
  const t = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  // _cat cells: a string or null, whichever the documented example happened to show.
  if (fixture === null || (typeof fixture === 'string' && actual === null)) {
    return actual === null || typeof actual === 'string' ? [] : [`${path}: expected null or string, got ${t(actual)}`];
  }
  if (t(fixture) !== t(actual)) return [`${path}: expected ${t(fixture)}, got ${t(actual)}`];
  if (Array.isArray(fixture)) {
    if (fixture.length === 0) return (actual as unknown[]).length === 0 ? [] : [`${path}: expected an empty array`];
    return (actual as unknown[]).flatMap((el, i) => shapeDiff(fixture[0], el, `${path}[${i}]`));
  }
  if (typeof fixture !== 'object') return [];
  const f = fixture as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const keys = Object.keys(f);
  if (keys.length === 1 && /^<.+>$/.test(keys[0])) {
    return Object.entries(a).flatMap(([k, v]) => shapeDiff(f[keys[0]], v, `${path}.${k}`));
  }
  const out: string[] = [];
  for (const k of keys) {
    const optional = k.endsWith('?');
    const name = optional ? k.slice(0, -1) : k;
    if (!(name in a)) {
      if (!optional) out.push(`${path}.${name}: missing`);
      continue;
    }
    out.push(...shapeDiff(f[k], a[name], `${path}.${name}`));
  }
  const allowed = new Set(keys.map((k) => k.replace(/\?$/, '')));
  for (const k of Object.keys(a)) if (!allowed.has(k)) out.push(`${path}.${k}: not in the documented response`);
  return out;
}
