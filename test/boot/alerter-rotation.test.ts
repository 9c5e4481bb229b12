import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ALERTER_RELOAD, checkBootPassword, containerCreations, containerEnv } from '../../lib/boot/alerter-rotation';
import type { BootResult } from '../../lib/boot/node';
import type { World } from '../../lib/boot/world';

// The pieces of the alerter's rotation rehearsal that read what the docker stub recorded (the full rehearsal runs in
// rehearsal.test.ts): the container's env file, its creations, and the password an alerter booted after a rotation has.

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:elk/dev/users/elastalert-AbCdEf';

function node(env: string, secretPassword: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-alerter-rotation-'));
  const root = path.join(dir, 'node');
  fs.mkdirSync(path.join(root, path.dirname(ALERTER_RELOAD)), { recursive: true });
  fs.mkdirSync(path.join(root, '.rehearsal/docker'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'secrets'));
  fs.writeFileSync(
    path.join(root, ALERTER_RELOAD),
    `#!/usr/bin/env bash\nexec boot.sh --parameter /elk/dev/alerter/current-bundle --credentials-secret ${SECRET}\n`,
  );
  fs.writeFileSync(path.join(root, '.rehearsal/docker/elastalert.env'), env);
  fs.writeFileSync(path.join(root, '.rehearsal/docker/created'), 'elastalert\nelastalert\nother\n');
  fs.writeFileSync(
    path.join(dir, 'secrets', SECRET.replace(/\//g, '%2F').replace(/:/g, '%3A')),
    JSON.stringify({ username: 'elastalert', password: secretPassword }),
  );
  const world = { dir } as unknown as World;
  const r = { instance: { root, id: 'i-0123', group: { role: 'alerter' } } } as unknown as BootResult;
  return { world, r, root, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

describe('alerter rotation checks', () => {
  test('reads the env file as the container got it (values with = kept) and counts its creations', () => {
    const n = node('ES_HOST=es.dev\nES_USERNAME=elastalert\nES_PASSWORD=abc=def\n', 'abc=def');
    expect(containerEnv(n.root)).toEqual({ ES_HOST: 'es.dev', ES_USERNAME: 'elastalert', ES_PASSWORD: 'abc=def' });
    expect(containerCreations(n.root)).toBe(2);
    n.cleanup();
  });

  test('an alerter booted with the current password: no finding', () => {
    const n = node('ES_USERNAME=elastalert\nES_PASSWORD=Rotated0123\n', 'Rotated0123');
    expect(checkBootPassword(n.world, n.r)).toEqual([]);
    n.cleanup();
  });

  test('an alerter booted with the password from before the rotation: a finding', () => {
    const n = node('ES_USERNAME=elastalert\nES_PASSWORD=rehearsal0123\n', 'Rotated0123');
    expect(checkBootPassword(n.world, n.r)).toEqual([
      expect.objectContaining({
        check: 'password-rotation',
        message: 'an alerter booted after the rotation runs ElastAlert without the current password of the secret',
      }),
    ]);
    n.cleanup();
  });
});
