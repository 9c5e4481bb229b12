import * as fs from 'fs';
import * as path from 'path';

/** A PEM private key with a body: the header alone (e.g. a regex in bundled code) is not key material. */
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{40,}-----END [A-Z ]*PRIVATE KEY-----/;
/** A JSON/YAML literal password value, e.g. {"password":"hunter2"} or password: hunter2, in any file. */
const LITERAL_PASSWORD = /\\?"password\\?"\s*:\s*\\?"[^"\\]{6,}|^\s*password:\s*[^\s{$][^\s]{5,}/im;
/** Template keys whose value must never be a literal string. */
const SENSITIVE_KEY = /^(SecretString|Password|MasterUserPassword|password|bootstrap\.password|.*private.?key.*)$/i;

export function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

/** Every finding in a cloud assembly directory, as "relative file: what". */
export function scan(outdir: string): string[] {
  const findings: string[] = [];
  for (const file of filesUnder(outdir)) {
    const text = fs.readFileSync(file, 'utf8');
    const rel = path.relative(outdir, file);
    // Keys embedded in JSON or JS string literals have "\n" escapes instead of newlines.
    if (PEM_PRIVATE_KEY.test(text.replace(/\\n/g, '\n'))) findings.push(`${rel}: PEM private key`);
    const pw = LITERAL_PASSWORD.exec(text);
    if (pw) findings.push(`${rel}: literal password near "${pw[0].slice(0, 30)}"`);
    if (file.endsWith('.template.json')) {
      const walk = (node: unknown, at: string): void => {
        if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${at}[${i}]`));
        else if (node && typeof node === 'object') {
          for (const [k, v] of Object.entries(node)) {
            if (SENSITIVE_KEY.test(k) && typeof v === 'string') findings.push(`${rel}: literal value at ${at}.${k}`);
            walk(v, `${at}.${k}`);
          }
        }
      };
      walk(JSON.parse(text), '$');
    }
  }
  return findings;
}
