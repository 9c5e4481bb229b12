/**
 * A deterministic, uncompressed POSIX ustar archive (no timestamps, owners or modes from the build machine), so the
 * same files always give the same bytes and the same asset hash. Only what the bundle needs: regular files and
 * folders with names up to 100 bytes.
 */
export interface TarEntry {
  readonly path: string;
  /** Undefined for a folder. */
  readonly content?: string | Buffer;
}

function header(name: string, size: number, isDir: boolean): Buffer {
  const h = Buffer.alloc(512, 0);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long (max 100 bytes): ${name}`);
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0') + '\0';
  h.write(name, 0, 100, 'utf8');
  h.write(octal(isDir ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime: fixed
  h.write('        ', 148, 'ascii'); // checksum placeholder
  h.write(isDir ? '5' : '0', 156, 'ascii');
  h.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (e.content === undefined) {
      parts.push(header(e.path.endsWith('/') ? e.path : `${e.path}/`, 0, true));
      continue;
    }
    const body = Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content, 'utf8');
    parts.push(header(e.path, body.length, false), body, Buffer.alloc((512 - (body.length % 512)) % 512, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}
