/**
 * What changed inside an alert rule, field by field (`spike_height: 3 → 4`), read from the rule bundle asset
 * (`asset.<sha256>.tar` in the cloud assembly) that the rule deployment resource's `BundleS3Url` names. The bundle is
 * deterministic (lib/rules/tar.ts) and holds rules with secrets as references, so reading it adds no noise and no
 * secret. When the asset is not there (a template-only assembly), nothing is added.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import type { AssemblyStack } from './assembly';

/** Files of an uncompressed ustar archive (regular files only). */
export function untar(buf: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  let off = 0;
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    off += 512;
    if (type === '0' || type === '\0') files.set(name, buf.subarray(off, off + size).toString('utf8'));
    off += Math.ceil(size / 512) * 512;
  }
  return files;
}

/** The rule bundle archive of a stack's rule deployment resource, if the assembly holds it. */
export function ruleBundleFile(stack: AssemblyStack): string | undefined {
  if (!stack.dir) return undefined;
  for (const r of Object.values(stack.template.Resources ?? {})) {
    if (!r.Properties?.RuleHashes) continue;
    const m = /([0-9a-f]{64})\.tar/.exec(JSON.stringify(r.Properties.BundleS3Url ?? ''));
    if (!m) continue;
    // Assets live at the top of the assembly; a stage's stacks are one level down.
    for (const dir of [stack.dir, path.dirname(stack.dir), path.dirname(path.dirname(stack.dir))]) {
      const file = path.join(dir, `asset.${m[1]}.tar`);
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}

/** Rule name → the rule as parsed from the bundle (rules/<file> named by manifest.json). */
export function bundleRules(file: string): Map<string, unknown> {
  const files = untar(fs.readFileSync(file));
  const manifest = JSON.parse(files.get('manifest.json') ?? '{}') as { rules?: Array<{ name: string; file: string }> };
  const out = new Map<string, unknown>();
  for (const r of manifest.rules ?? []) {
    const text = files.get(r.file);
    if (text !== undefined) out.set(r.name, parse(text) as unknown);
  }
  return out;
}

function flatten(v: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

const short = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

/** `key: old → new`, `key: added (v)`, `key: removed (was v)`, by dotted key, sorted. */
export function fieldChanges(before: unknown, after: unknown): string[] {
  const a = flatten(before, '', new Map());
  const b = flatten(after, '', new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: string[] = [];
  for (const k of keys) {
    const x = a.get(k);
    const y = b.get(k);
    if (x === y) continue;
    if (x === undefined) out.push(`${k}: added (${short(y!)})`);
    else if (y === undefined) out.push(`${k}: removed (was ${short(x)})`);
    else out.push(`${k}: ${short(x)} → ${short(y)}`);
  }
  return out;
}

/** For each changed rule name: its field changes, when both bundles are in the assemblies. */
export function ruleFieldChanges(
  base: AssemblyStack | undefined,
  head: AssemblyStack,
  changed: readonly string[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!base || changed.length === 0) return out;
  const before = ruleBundleFile(base);
  const after = ruleBundleFile(head);
  if (!before || !after) return out;
  const a = bundleRules(before);
  const b = bundleRules(after);
  for (const name of changed) {
    if (a.has(name) && b.has(name)) {
      const fields = fieldChanges(a.get(name), b.get(name));
      if (fields.length) out[name] = fields;
    }
  }
  return out;
}
