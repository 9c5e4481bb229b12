import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBundle, bundleTar, compileRules, RuleValues } from '../../lib/rules';
import { PROJECT_ROOT } from '../helpers/app';

/** A stubbed alerter instance (docker, aws and curl stubs in ./stubs) for the deploy-rules.sh and boot.sh tests. */

export const SCRIPTS = path.join(PROJECT_ROOT, 'scripts', 'alerter');
export const STUBS = path.join(__dirname, 'stubs');
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----';

const values: RuleValues = { environment: 'test', tokens: {}, secrets: { HOOK: '/elk/test/alerter/HOOK' } };
export const ruleText = (name: string, extra = '') =>
  `name: ${name}\ntype: any\nindex: logs-*\nalert: [slack]\nslack_webhook_url: '@@secret:HOOK@@'\n${extra}`;

export interface World {
  dir: string;
  root: string;
  state: string;
  s3: string;
  publish(rules: Record<string, string>): { url: string; hash: string };
  run(
    url: string,
    hash: string,
    env?: Record<string, string>,
  ): { status: number | null; out: string; stdout: string; current: string | null };
  runs(): string[];
}

export function world(): World {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-rules-'));
  const root = path.join(dir, 'root');
  const state = path.join(dir, 'state');
  const s3 = path.join(dir, 's3');
  const ssm = path.join(dir, 'ssm');
  for (const d of [root, state, path.join(s3, 'assets'), path.join(ssm, 'elk', 'test', 'alerter')]) {
    fs.mkdirSync(d, { recursive: true });
  }
  fs.writeFileSync(path.join(ssm, 'elk', 'test', 'alerter', 'HOOK'), 'https://hooks.example/T0/B0/secret\n');
  fs.writeFileSync(path.join(ssm, 'elk', 'test', 'ca'), `${CA_PEM}\n`);
  return {
    dir,
    root,
    state,
    s3,
    publish(rules) {
      const r = compileRules(
        Object.entries(rules).map(([file, text]) => ({ file: `rules/${file}`, text })),
        values,
      );
      expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
      const bundle = buildBundle(r.rules, values, {
        environment: 'test',
        image: 'jertel/elastalert2:2.31.0',
        runEverySeconds: 60,
        bufferTimeMinutes: 15,
        esHost: 'es.test.internal',
      });
      fs.writeFileSync(path.join(s3, 'assets', `${bundle.hash}.tar`), bundleTar(bundle));
      return { url: `s3://assets/${bundle.hash}.tar`, hash: bundle.hash };
    },
    run(url, hash, env = {}) {
      const r = spawnSync(
        'bash',
        [
          path.join(SCRIPTS, 'deploy-rules.sh'),
          '--bundle',
          url,
          '--sha256',
          hash,
          '--credentials-secret',
          'arn:aws:secretsmanager:eu-west-1:1:secret:elastalert',
          '--ca-parameter',
          '/elk/test/ca',
          '--region',
          'eu-west-1',
        ],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            PATH: `${STUBS}:${process.env.PATH}`,
            STUB_STATE: state,
            STUB_S3: s3,
            STUB_SSM: ssm,
            ELK_ALERTER_ROOT: root,
            ELK_POLL_SECONDS: '0.05',
            ELK_WAIT_START_SECONDS: '2',
            ELK_WAIT_RULES_SECONDS: '1',
            ELK_WAIT_STATUS_SECONDS: '1',
            ELK_HOLD_SECONDS: '0.1',
            ...env,
          },
          timeout: 30000,
        },
      );
      const link = path.join(root, 'current');
      return {
        status: r.status,
        out: `${r.stdout}${r.stderr}`,
        stdout: r.stdout,
        current: fs.existsSync(link) ? fs.readlinkSync(link) : null,
      };
    },
    runs() {
      const f = path.join(state, 'runs');
      return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\n') : [];
    },
  };
}

export const lastLine = (out: string) => out.trim().split('\n').pop();

/** The container the stub considers running: [running, startedAt, release folder, bundle label]. */
export function container(w: World): string[] | null {
  const f = path.join(w.state, 'container');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\n') : null;
}
