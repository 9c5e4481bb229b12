import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runDiff } from '../../lib/diff';
import { PROJECT_ROOT } from '../helpers/app';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-diff-refuse-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A one-stack cloud assembly written by hand; `marked` gives the stack an elk-cdk tag as the app does. */
function assembly(name: string, o: { marked: boolean; resources?: number }): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  const Resources: Record<string, unknown> = {};
  for (let i = 0; i < (o.resources ?? 1); i++) {
    Resources[`Topic${i}`] = { Type: 'AWS::SNS::Topic', Properties: { DisplayName: `t${i}`.padEnd(250, '-') } };
  }
  fs.writeFileSync(path.join(dir, 'app.template.json'), JSON.stringify({ Resources }));
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      version: '55.0.0',
      artifacts: {
        app: {
          type: 'aws:cloudformation:stack',
          properties: { templateFile: 'app.template.json', tags: o.marked ? { 'elk-cdk:environment': 'x' } : {} },
        },
      },
    }),
  );
  return dir;
}

describe('elkctl diff refuses what is not a synth of this app', () => {
  const app = assembly('app', { marked: true });

  test('a rules render output (its own manifest.json) is not a cloud assembly', () => {
    const render = path.join(root, 'render');
    fs.mkdirSync(render);
    fs.writeFileSync(path.join(render, 'manifest.json'), JSON.stringify({ format: 1, environment: 'x', rules: [] }));
    expect(() => runDiff({ base: render, head: app })).toThrow(/render: not a cloud assembly/);
  });

  test("another app's assembly is refused by name", () => {
    const other = assembly('other', { marked: false });
    expect(() => runDiff({ base: app, head: other })).toThrow(/other: not a cloud assembly of elk-cdk/);
  });

  test('an assembly of this app is read', () => {
    expect(runDiff({ base: app, head: app }).report.has.any).toBe(false);
  });

  test('elkctl diff exits 2 on a folder that is not an assembly, and piping into head prints no EPIPE trace', () => {
    const big = assembly('big', { marked: true, resources: 300 });
    const elkctl = `${path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx')} ${path.join(PROJECT_ROOT, 'bin', 'elkctl.ts')}`;
    const r = spawnSync(
      'bash',
      ['-c', `${elkctl} diff --base "$1" --head "$2" | head -n 1; exit "\${PIPESTATUS[0]}"`, '-', app, big],
      { encoding: 'utf8' },
    );
    expect(r.stdout).toBe(`Infrastructure diff: ${app} → ${big}\n`);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(r.status).toBe(0);
    const bad = spawnSync('bash', ['-c', `${elkctl} diff --base "$1" --head "$1"`, '-', root], { encoding: 'utf8' });
    expect(bad.stderr).toMatch(/not a cloud assembly/);
    expect(bad.status).toBe(2);
  });
});
