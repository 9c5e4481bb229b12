import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { INSTANCE_BIN_DIR, NodeScripts } from './NodeScripts';
import { NodeRole } from './contract';

/** Boot script per role (in scripts/node). */
export const BOOT_SCRIPT: Readonly<Record<NodeRole, string>> = {
  master: 'es-node-boot.sh',
  data: 'es-node-boot.sh',
  kibana: 'kibana-boot.sh',
  logstash: 'logstash-boot.sh',
};

/** Where the user data writes the node's settings; every boot script sources it. */
export const NODE_ENV_FILE = '/etc/elk-cdk/node.env';

/** Single-quote a value for a POSIX shell (tokens pass through unchanged: they contain no quote). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** The lines of /etc/elk-cdk/node.env, keys sorted so the user data is deterministic. */
export function renderNodeEnv(env: Readonly<Record<string, string>>): string[] {
  return Object.keys(env)
    .sort()
    .map((k) => {
      if (!/^ELK_[A-Z0-9_]+$/.test(k)) throw new Error(`node env key "${k}" must match ELK_[A-Z0-9_]+`);
      return `${k}=${shellQuote(env[k]!)}`;
    });
}

export interface NodeUserDataProps {
  readonly role: NodeRole;
  /**
   * Settings of the node (ELK_*). The pinned version is `ELK_ES_VERSION`: the one value that decides what every
   * role installs.
   */
  readonly env: Readonly<Record<string, string>>;
  readonly scripts: NodeScripts;
}

/**
 * Root prefix of every path the user data writes: `${ELK_ROOT:-}` is empty on an instance (cloud-init sets no
 * ELK_ROOT) and a per-node sandbox folder in the boot rehearsal (lib/boot), which runs this user data unchanged.
 */
export const ROOT_PREFIX = '${ELK_ROOT:-}';

/**
 * The user data of every node role: write node.env, fetch the boot scripts, run the role's boot script.
 * One function of the settings, so a version change is one config value and one launch template version.
 */
export function nodeUserData(props: NodeUserDataProps): ec2.UserData {
  if (!props.env.ELK_ES_VERSION) throw new Error('nodeUserData: ELK_ES_VERSION is required');
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    'set -euo pipefail',
    `exec > >(tee -a "${ROOT_PREFIX}/var/log/elk-cdk-boot.log") 2>&1`,
    `mkdir -p "${ROOT_PREFIX}/etc/elk-cdk" && chmod 0755 "${ROOT_PREFIX}/etc/elk-cdk"`,
    `cat > "${ROOT_PREFIX}${NODE_ENV_FILE}" <<'ELK_CDK_NODE_ENV'`,
    ...renderNodeEnv({ ...props.env, ELK_ROLE: props.role }),
    'ELK_CDK_NODE_ENV',
    `chmod 0644 "${ROOT_PREFIX}${NODE_ENV_FILE}"`,
  );
  props.scripts.addInstallCommands(userData, props.role, ROOT_PREFIX);
  userData.addCommands(`"${ROOT_PREFIX}${INSTANCE_BIN_DIR}/${BOOT_SCRIPT[props.role]}"`);
  return userData;
}
