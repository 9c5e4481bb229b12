import * as path from 'path';
import { stableSourceMap, stableSourcePath } from '../../lib/bundling';

describe('stableSourcePath', () => {
  it('names project files relative to the project root', () => {
    expect(stableSourcePath('/home/a/elk-cdk/lambda/x/workflow.ts', '/home/a/elk-cdk')).toBe('lambda/x/workflow.ts');
  });
  it('names packages from the first node_modules on, wherever that folder really is', () => {
    const linked = '/home/a/main/node_modules/@elastic/transport/lib/index.js';
    const installed = '/tmp/wt/base/node_modules/@elastic/transport/lib/index.js';
    expect(stableSourcePath(linked, '/tmp/wt/base')).toBe('node_modules/@elastic/transport/lib/index.js');
    expect(stableSourcePath(installed, '/tmp/wt/base')).toBe('node_modules/@elastic/transport/lib/index.js');
    expect(stableSourcePath('/r/node_modules/a/node_modules/b/i.js', '/r')).toBe('node_modules/a/node_modules/b/i.js');
  });
});

describe('stableSourceMap', () => {
  it('rewrites sources given relative to a temp output folder and keeps the rest', () => {
    const out = '/tmp/t1/elk-cdk-bundle-abc';
    const map = {
      version: 3,
      sources: ['../../../home/a/elk-cdk/lambda/w.ts', '../../../home/a/elk-cdk/node_modules/undici/index.js'],
      mappings: 'AAAA',
      names: ['x'],
    };
    const text = stableSourceMap(JSON.stringify(map), out, '/home/a/elk-cdk');
    expect(JSON.parse(text)).toEqual({ ...map, sources: ['lambda/w.ts', 'node_modules/undici/index.js'] });
    const other = stableSourceMap(
      JSON.stringify({ ...map, sources: map.sources.map((s) => s.replace('../../../home/a', '../../../../home2')) }),
      path.join('/var/tmp/q', 'b'),
      '/home2/elk-cdk',
    );
    expect(other).toBe(text);
  });
});
