import {
  DOCUMENT_PRIVILEGES,
  NATIVE_USERS,
  ROLES,
  securityDefinitionsHash,
  SERVICE_USERS,
} from '../../lib/security/roles';
import { BootstrapPropertiesSchema } from '../../lambda/security-bootstrap/contract';

const indexPrivileges = (role: string, pattern: string): string[] =>
  ROLES[role].indices.filter((i) => i.names.includes(pattern)).flatMap((i) => [...i.privileges]);

describe('role definitions', () => {
  it('give the orchestrator no document privilege on any index', () => {
    const held = ROLES.orchestrator.indices.flatMap((i) => i.privileges);
    expect(held.filter((p) => DOCUMENT_PRIVILEGES.includes(p))).toEqual([]);
    expect(held).toEqual(['monitor']);
  });

  it('give the orchestrator cluster monitor, settings updates and voting exclusions, and not cluster "all"/"manage"', () => {
    const cluster = ROLES.orchestrator.cluster;
    // Exactly what the Elasticsearch adapter calls; a new privilege is a deliberate edit of this list.
    expect(cluster).toEqual([
      'monitor',
      'cluster:admin/settings/update',
      'cluster:admin/voting_config/add_exclusions',
      'cluster:admin/voting_config/clear_exclusions',
      'monitor_snapshot',
      'create_snapshot',
    ]);
    expect(cluster).not.toContain('all');
    expect(cluster).not.toContain('manage');
    expect(cluster).not.toContain('manage_security');
  });

  it('let ElastAlert read the log indices but not write them, and write only its own writeback indices', () => {
    expect(indexPrivileges('elastalert', 'logs-*')).toEqual(['read', 'view_index_metadata']);
    const writeback = ROLES.elastalert.indices.filter((i) => i.privileges.includes('write'));
    expect(writeback.flatMap((i) => i.names).every((n) => n.startsWith('elastalert'))).toBe(true);
  });

  it('let Logstash append to logs-* without reading or deleting', () => {
    const p = indexPrivileges('logstash_writer', 'logs-*');
    expect(p).toContain('create_doc');
    for (const forbidden of ['read', 'delete', 'all', 'manage', 'index', 'write']) expect(p).not.toContain(forbidden);
  });

  it('give Logstash exactly what the data stream output needs: no template, ILM or index management (issue #13)', () => {
    expect(ROLES.logstash_writer.cluster).toEqual(['monitor']);
    expect(ROLES.logstash_writer.indices).toEqual([
      { names: ['logs-*'], privileges: ['create_doc', 'auto_configure'] },
    ]);
  });

  it('never grant manage_security or cluster "all" to any role', () => {
    for (const [name, role] of Object.entries(ROLES)) {
      expect([name, role.cluster.filter((c) => c === 'all' || c === 'manage_security')]).toEqual([name, []]);
    }
  });

  it('define a native user for every service user except the built-in ones, each with its own role', () => {
    expect(Object.keys(NATIVE_USERS).sort()).toEqual(
      SERVICE_USERS.filter((u) => u !== 'elastic' && u !== 'kibana_system').sort(),
    );
    for (const [user, def] of Object.entries(NATIVE_USERS)) expect(def.roles).toEqual([user]);
  });

  it('hash the definitions stably, and change the hash when any privilege changes', () => {
    const h = securityDefinitionsHash();
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    // key order does not matter
    const reordered = Object.fromEntries(Object.entries(ROLES).reverse());
    expect(securityDefinitionsHash(reordered)).toBe(h);
    const changed = {
      ...ROLES,
      orchestrator: { ...ROLES.orchestrator, cluster: [...ROLES.orchestrator.cluster, 'manage'] },
    };
    expect(securityDefinitionsHash(changed)).not.toBe(h);
  });

  it('pass the handler contract, so what the construct sends is what the handler accepts', () => {
    const parsed = BootstrapPropertiesSchema.parse({
      RolesJson: JSON.stringify(ROLES),
      UsersJson: JSON.stringify(NATIVE_USERS),
      DefinitionsHash: securityDefinitionsHash(),
    });
    expect(parsed.RolesJson).toEqual(ROLES);
  });

  it('reject a role with a misspelled field in the contract', () => {
    const r = BootstrapPropertiesSchema.safeParse({
      RolesJson: JSON.stringify({ x: { cluster: [], indices: [{ names: ['a'], privilege: ['read'] }] } }),
      UsersJson: '{}',
      DefinitionsHash: securityDefinitionsHash(),
    });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/RolesJson/);
  });
});
