// Users and roles: the kibana_system password and one least-privilege writer per Elastic component.
import type { Client } from '@elastic/elasticsearch';
import { change, type Change } from './change.js';
import { isNotFound } from './es-errors.js';
import { fingerprint } from './fingerprint.js';

/** Answers whether username/password authenticate; injected so a test need not open connections. */
export type VerifyPassword = (username: string, password: string) => Promise<boolean>;

export interface RoleDefinition {
  cluster: string[];
  indices: { names: string[]; privileges: string[]; allow_restricted_indices?: boolean }[];
}

// Usernames also appear in elk/apm-server/apm-server.yml, elk/heartbeat/heartbeat.yml and elk/filebeat/filebeat.yml.
export const APM_SERVER_USER = 'pillbox_apm_server';
export const HEARTBEAT_USER = 'pillbox_heartbeat';
export const FILEBEAT_USER = 'pillbox_filebeat';
/** Also in compose/compose.yaml (the elastalert service's ES_USERNAME) and cloud-init/box-status.sh. */
export const ELASTALERT_USER = 'pillbox_elastalert';
export const BOX_STATUS_USER = 'pillbox_box_status';
/** The data stream the box status timer writes disk use and container restarts to (elk/elastalert/rules read it). */
export const BOX_STATUS_STREAM = 'logs-pillbox.box-default';
/** ElastAlert2's own state: writeback_index `elastalert` and the four indices it derives (elastalert/create_index.py at 2.31.0). */
export const ELASTALERT_WRITEBACK = 'elastalert*';
/** The one data stream Filebeat writes every container's log lines to (elk/filebeat/filebeat.yml). */
export const LOGS_STREAM = 'logs-pillbox-default';

export const ROLES: Record<string, RoleDefinition> = {
  // Write APM events into its data streams and read agent central configuration; nothing else.
  pillbox_apm_server_writer: {
    cluster: ['monitor'],
    indices: [
      { names: ['traces-apm*', 'logs-apm*', 'metrics-apm*'], privileges: ['auto_configure', 'create_doc'] },
      { names: ['.apm-agent-configuration'], privileges: ['read'], allow_restricted_indices: true },
    ],
  },
  // Write monitor results; `monitor` also lets its Elasticsearch check read cluster health.
  pillbox_heartbeat_writer: {
    cluster: ['monitor'],
    indices: [{ names: ['heartbeat-*'], privileges: ['auto_configure', 'create_doc'] }],
  },
  // Append container log lines to its one data stream (its template comes from this job); `monitor` answers
  // Filebeat's version and license check at start.
  pillbox_filebeat_writer: {
    cluster: ['monitor'],
    indices: [{ names: [LOGS_STREAM], privileges: ['auto_configure', 'create_doc'] }],
  },
  // Read what the rules watch; create, map and write its own state indices, nothing else. `monitor` answers the
  // client's version check (GET /).
  pillbox_elastalert_reader: {
    cluster: ['monitor'],
    indices: [
      { names: ['heartbeat-*', 'traces-apm*', BOX_STATUS_STREAM], privileges: ['read', 'view_index_metadata'] },
      { names: [ELASTALERT_WRITEBACK], privileges: ['create_index', 'manage', 'read', 'write'] },
    ],
  },
  // Append box status documents to its one data stream; no cluster privilege (a plain POST needs none).
  pillbox_box_status_writer: {
    cluster: [],
    indices: [{ names: [BOX_STATUS_STREAM], privileges: ['auto_configure', 'create_doc'] }],
  },
};

export async function ensureRole(client: Client, name: string, definition: RoleDefinition): Promise<Change> {
  const print = fingerprint(definition);
  let existing: { metadata?: Record<string, unknown> } | undefined;
  try {
    existing = (await client.security.getRole({ name }))[name];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (existing?.metadata?.['pillbox_fingerprint'] === print) return change('unchanged', 'role', name);
  await client.security.putRole({ name, ...definition, metadata: { managed_by: 'pillbox', pillbox_fingerprint: print } });
  return change(existing ? 'updated' : 'created', 'role', name);
}

export interface UserSpec {
  username: string;
  password: string;
  roles: string[];
  fullName: string;
}

const sameRoles = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

export async function ensureUser(client: Client, verify: VerifyPassword, spec: UserSpec): Promise<Change> {
  let existing: { roles: string[]; enabled?: boolean } | undefined;
  try {
    existing = (await client.security.getUser({ username: spec.username }))[spec.username];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const shapeOk = existing !== undefined && existing.enabled !== false && sameRoles(existing.roles, spec.roles);
  if (shapeOk && (await verify(spec.username, spec.password))) return change('unchanged', 'user', spec.username);
  if (shapeOk) {
    await client.security.changePassword({ username: spec.username, password: spec.password });
    return change('updated', 'user', spec.username);
  }
  await client.security.putUser({
    username: spec.username,
    password: spec.password,
    roles: spec.roles,
    full_name: spec.fullName,
    enabled: true,
    metadata: { managed_by: 'pillbox' },
  });
  return change(existing ? 'updated' : 'created', 'user', spec.username);
}

/** Built-in users (kibana_system) exist already; only their password is ours to set. */
export async function ensureBuiltinPassword(client: Client, verify: VerifyPassword, username: string, password: string): Promise<Change> {
  if (await verify(username, password)) return change('unchanged', 'password', username);
  await client.security.changePassword({ username, password });
  return change('updated', 'password', username);
}
