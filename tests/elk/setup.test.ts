import { expect } from 'chai';
import { changed } from '../../elk/setup/src/change.js';
import { parseConfig, parsePhase, type SetupConfig } from '../../elk/setup/src/config.js';
import { SetupError } from '../../elk/setup/src/errors.js';
import { DATA_VIEWS } from '../../elk/setup/src/kibana.js';
import { APM_DATASETS, APM_POLICY, APM_REPLICA_ONLY_DATASETS, BOX_STATUS_TEMPLATE, HEARTBEAT_POLICY, LOGS_POLICY, LOGS_TEMPLATE } from '../../elk/setup/src/retention.js';
import { runElasticsearchPhase, runKibanaPhase } from '../../elk/setup/src/run.js';
import { APM_SERVER_USER, BOX_STATUS_STREAM, BOX_STATUS_USER, ELASTALERT_USER, FILEBEAT_USER, HEARTBEAT_USER, LOGS_STREAM } from '../../elk/setup/src/security.js';
import { LOGS_DATA_VIEW_ID } from '../../scripts/lib/kibana/links.js';
import { aFakeCluster, STACK_COMPONENT_TEMPLATES } from './fake-cluster.js';
import { aFakeKibana } from './fake-kibana.js';

const secrets = {
  ELASTIC_PASSWORD: 'elastic-password-0123456789',
  KIBANA_SYSTEM_PASSWORD: 'kibana-system-password-0123',
  APM_SERVER_ES_PASSWORD: 'apm-server-password-012345',
  HEARTBEAT_ES_PASSWORD: 'heartbeat-password-01234567',
  FILEBEAT_ES_PASSWORD: 'filebeat-password-012345678',
  ELASTALERT_ES_PASSWORD: 'elastalert-password-0123456',
  BOX_STATUS_ES_PASSWORD: 'box-status-password-0123456',
};
const aConfig = (env: Record<string, string> = {}, phase: 'elasticsearch' | 'kibana' = 'elasticsearch'): SetupConfig =>
  parseConfig(phase, { ...secrets, SETUP_ES_TIMEOUT_SECONDS: '1', SETUP_KIBANA_TIMEOUT_SECONDS: '1', ...env });
const fast = { intervalMs: 10 };
// Deadlines below a second keep the waiting tests quick; the config itself counts whole seconds.
const impatient = (cfg: SetupConfig): SetupConfig => ({ ...cfg, elasticsearchTimeoutMs: 200, kibanaTimeoutMs: 200 });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('elk/setup, elasticsearch phase', () => {
  it('creates the kibana_system password, writer roles and users, lifecycle policies and every APM @custom template on first run', async () => {
    const es = aFakeCluster();
    const changes = await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);

    expect(es.builtinPasswords.get('kibana_system')).to.equal(secrets.KIBANA_SYSTEM_PASSWORD);
    expect([...es.roles.keys()].sort()).to.deep.equal(['pillbox_apm_server_writer', 'pillbox_box_status_writer', 'pillbox_elastalert_reader', 'pillbox_filebeat_writer', 'pillbox_heartbeat_writer']);
    expect(es.users.get(APM_SERVER_USER)).to.include({ password: secrets.APM_SERVER_ES_PASSWORD, enabled: true });
    expect(es.users.get(HEARTBEAT_USER)?.roles).to.deep.equal(['pillbox_heartbeat_writer']);
    expect([...es.policies.keys()].sort()).to.deep.equal([APM_POLICY, HEARTBEAT_POLICY, LOGS_POLICY]);
    expect([...es.indexTemplates.keys()]).to.deep.equal([LOGS_TEMPLATE, BOX_STATUS_TEMPLATE]);
    expect(es.templates.size).to.equal(APM_DATASETS.length + APM_REPLICA_ONLY_DATASETS.length);
    expect(es.templates.get('traces-apm@custom')).to.nested.include({ 'template.settings.index.lifecycle.name': APM_POLICY });
    expect(changes.filter((c) => c.action === 'unchanged')).to.deep.equal([]);
  });

  it("gives Filebeat a writer that may only append to the logs stream, with no template, policy or read privilege", async () => {
    const es = aFakeCluster();
    await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    expect(es.users.get(FILEBEAT_USER)).to.deep.equal({ roles: ['pillbox_filebeat_writer'], password: secrets.FILEBEAT_ES_PASSWORD, enabled: true });
    expect(es.roles.get('pillbox_filebeat_writer')).to.deep.include({
      cluster: ['monitor'],
      indices: [{ names: [LOGS_STREAM], privileges: ['auto_configure', 'create_doc'] }],
    });
  });

  it('gives the alert engine read on what its rules watch and write on its own state only, and the box status writer append on its stream only', async () => {
    const es = aFakeCluster();
    await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    expect(es.users.get(ELASTALERT_USER)).to.deep.equal({ roles: ['pillbox_elastalert_reader'], password: secrets.ELASTALERT_ES_PASSWORD, enabled: true });
    expect(es.roles.get('pillbox_elastalert_reader')).to.deep.include({
      cluster: ['monitor'],
      indices: [
        { names: ['heartbeat-*', 'traces-apm*', BOX_STATUS_STREAM], privileges: ['read', 'view_index_metadata'] },
        { names: ['elastalert*'], privileges: ['create_index', 'manage', 'read', 'write'] },
      ],
    });
    // Every index the rules read is covered by the read grant (tests/elk/elastalert-rules.test.ts reads the rules).
    expect(es.users.get(BOX_STATUS_USER)?.roles).to.deep.equal(['pillbox_box_status_writer']);
    expect(es.roles.get('pillbox_box_status_writer')).to.deep.include({ cluster: [], indices: [{ names: [BOX_STATUS_STREAM], privileges: ['auto_configure', 'create_doc'] }] });
    expect(es.indexTemplates.get(BOX_STATUS_TEMPLATE)).to.deep.include({ index_patterns: [BOX_STATUS_STREAM], data_stream: {} });
    expect(es.indexTemplates.get(BOX_STATUS_TEMPLATE)).to.nested.include({ 'template.settings.index.lifecycle.name': LOGS_POLICY });
  });

  it('templates the logs stream as ECS, over the built-in logs template, with the pillbox-logs lifecycle and no replica', async () => {
    const es = aFakeCluster();
    await runElasticsearchPhase(es.client, es.verify, aConfig({ LOGS_RETENTION_DAYS: '7' }), fast);
    const template = es.indexTemplates.get(LOGS_TEMPLATE);
    expect(template).to.deep.include({ index_patterns: [LOGS_STREAM], data_stream: {}, composed_of: ['logs@mappings', 'logs@settings', 'ecs@mappings'] });
    // The built-in `logs` template (logs-*-*) has priority 100: equal priorities with overlapping patterns are refused.
    expect(template?.['priority']).to.be.greaterThan(100);
    expect(template).to.nested.include({ 'template.settings.index.lifecycle.name': LOGS_POLICY, 'template.settings.index.number_of_replicas': 0 });
    expect(es.policies.get(LOGS_POLICY)).to.nested.include({ 'phases.delete.min_age': '7d' });
    const changes = await runElasticsearchPhase(es.client, es.verify, aConfig({ LOGS_RETENTION_DAYS: '3' }), fast);
    expect(changed(changes)).to.deep.equal([{ action: 'updated', kind: 'lifecycle policy', name: LOGS_POLICY }]);
  });

  it('waits for the built-in component templates Elasticsearch installs after it turns yellow before composing the logs template', async () => {
    const es = aFakeCluster({ stackTemplatesAfterMs: 150 });
    const started = Date.now();
    await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    expect(Date.now() - started).to.be.at.least(150);
    expect(es.indexTemplates.get(LOGS_TEMPLATE)?.['composed_of']).to.deep.equal([...STACK_COMPONENT_TEMPLATES]);
    expect(es.writes.filter((w) => w.includes('_index_template'))).to.have.length(2);
  });

  it('gives up at the deadline naming the built-in component templates that never appeared', async () => {
    const es = aFakeCluster({ stackTemplatesAfterMs: Infinity });
    const err = await rejection(runElasticsearchPhase(es.client, es.verify, impatient(aConfig()), fast));
    expect(err).to.be.instanceOf(SetupError);
    expect(err.message).to.match(/did not install its built-in component templates within 0s \(missing logs@mappings, logs@settings, ecs@mappings\)/);
    expect((err as SetupError).hint).to.include('SETUP_ES_TIMEOUT_SECONDS');
    expect(es.indexTemplates.size).to.equal(0);
  });

  it('keeps the failure store of logs@settings off, so nothing outlives the pillbox-logs policy', async () => {
    const es = aFakeCluster();
    await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    expect(es.indexTemplates.get(LOGS_TEMPLATE)).to.nested.include({ 'template.data_stream_options.failure_store.enabled': false });
  });

  it('sets up everything but the Filebeat user when the secrets predate FILEBEAT_ES_PASSWORD, and says so', async () => {
    const es = aFakeCluster();
    const changes = await runElasticsearchPhase(es.client, es.verify, aConfig({ FILEBEAT_ES_PASSWORD: '', ELASTALERT_ES_PASSWORD: '', BOX_STATUS_ES_PASSWORD: '' }), fast);
    expect(es.users.has(FILEBEAT_USER)).to.equal(false);
    expect(es.users.has(ELASTALERT_USER)).to.equal(false);
    expect(es.users.has(BOX_STATUS_USER)).to.equal(false);
    expect(es.users.has(HEARTBEAT_USER)).to.equal(true);
    expect(es.indexTemplates.has(LOGS_TEMPLATE)).to.equal(true);
    expect(changes.filter((c) => c.action === 'skipped')).to.deep.equal([
      { action: 'skipped', kind: 'user', name: FILEBEAT_USER, reason: "FILEBEAT_ES_PASSWORD is not set: no container logs until the box's secrets hold it" },
      { action: 'skipped', kind: 'user', name: ELASTALERT_USER, reason: "ELASTALERT_ES_PASSWORD is not set: no alerts until the box's secrets hold it" },
      { action: 'skipped', kind: 'user', name: BOX_STATUS_USER, reason: "BOX_STATUS_ES_PASSWORD is not set: no disk or restart alerts until the box's secrets hold it" },
    ]);
    expect(changed(changes).map((c) => c.name)).to.not.include(FILEBEAT_USER);
  });

  it('changes nothing on a second run and still succeeds', async () => {
    const es = aFakeCluster();
    await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    const writesAfterFirst = es.writes.length;

    const second = await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);

    expect(changed(second)).to.deep.equal([]);
    expect(es.writes.slice(writesAfterFirst)).to.deep.equal([]);
  });

  it('completes a run that died half-way, touching only what is missing', async () => {
    const es = aFakeCluster();
    es.failingWrites.add('/_component_template/metrics-apm.app@custom');
    const err = await rejection(runElasticsearchPhase(es.client, es.verify, aConfig(), fast));
    expect(err.message).to.match(/500|boom/);
    const missingBefore = [...APM_DATASETS, ...APM_REPLICA_ONLY_DATASETS].filter((d) => !es.templates.has(`${d}@custom`));
    expect(missingBefore.length).to.be.greaterThan(0);

    es.failingWrites.clear();
    const writesBefore = es.writes.length;
    const resumed = await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);

    expect(es.templates.size).to.equal(APM_DATASETS.length + APM_REPLICA_ONLY_DATASETS.length);
    expect(changed(resumed).map((c) => c.name).sort()).to.deep.equal(missingBefore.map((d) => `${d}@custom`).sort());
    expect(es.writes.length - writesBefore).to.equal(missingBefore.length);
  });

  it('fails in bounded time with a clear message when Elasticsearch is unreachable', async () => {
    const es = aFakeCluster({ health: 'unreachable' });
    const started = Date.now();
    const err = await rejection(runElasticsearchPhase(es.client, es.verify, aConfig(), fast));

    expect(err).to.be.instanceOf(SetupError);
    expect(err.message).to.match(/Elasticsearch at http:\/\/elasticsearch:9200 was not ready within 1s \(last: .*ECONNREFUSED/);
    expect((err as SetupError).hint).to.include('SETUP_ES_TIMEOUT_SECONDS');
    expect(Date.now() - started).to.be.lessThan(3000);
    expect(es.writes).to.deep.equal([]);
  });

  it('keeps waiting while the cluster is red and gives up at the deadline', async () => {
    const es = aFakeCluster({ health: 'red' });
    const err = await rejection(runElasticsearchPhase(es.client, es.verify, impatient(aConfig()), fast));
    expect(err.message).to.include('cluster status is red');
  });

  it('stops at once when the elastic password is wrong, naming the data volume', async () => {
    const es = aFakeCluster({ health: 'unauthorized' });
    const started = Date.now();
    const err = await rejection(runElasticsearchPhase(es.client, es.verify, aConfig({ SETUP_ES_TIMEOUT_SECONDS: '30' }), fast));
    expect(err.message).to.include('rejected the password of the elastic user');
    expect((err as SetupError).hint).to.include('data volume');
    expect(Date.now() - started).to.be.lessThan(1000);
  });

  it('resets a writer password that no longer matches the secret, and nothing else', async () => {
    const es = aFakeCluster();
    await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    const rotated = await runElasticsearchPhase(es.client, es.verify, aConfig({ HEARTBEAT_ES_PASSWORD: 'a-rotated-heartbeat-password' }), fast);
    expect(changed(rotated)).to.deep.equal([{ action: 'updated', kind: 'user', name: HEARTBEAT_USER }]);
    expect(es.users.get(HEARTBEAT_USER)?.password).to.equal('a-rotated-heartbeat-password');
  });

  it('writes the configured retention into the delete phases, and updates them when it changes', async () => {
    const es = aFakeCluster();
    await runElasticsearchPhase(es.client, es.verify, aConfig({ APM_RETENTION_DAYS: '3' }), fast);
    expect(es.policies.get(APM_POLICY)).to.nested.include({ 'phases.delete.min_age': '3d' });
    expect(es.policies.get(HEARTBEAT_POLICY)).to.nested.include({ 'phases.delete.min_age': '7d' });

    const second = await runElasticsearchPhase(es.client, es.verify, aConfig({ APM_RETENTION_DAYS: '5' }), fast);
    expect(changed(second)).to.deep.equal([{ action: 'updated', kind: 'lifecycle policy', name: APM_POLICY }]);
    expect(es.policies.get(APM_POLICY)).to.nested.include({ 'phases.delete.min_age': '5d' });
  });

  it('attaches the APM policy to data streams that already exist, except the hour-long sampled traces', async () => {
    const es = aFakeCluster({
      streams: [
        { name: 'traces-apm-default', indices: [{ index_name: '.ds-traces-apm-default-1', ilm_policy: 'traces-apm.traces-default_policy' }] },
        { name: 'traces-apm.sampled-default', indices: [{ index_name: '.ds-traces-apm.sampled-default-1' }] },
      ],
    });
    const changes = await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    expect(es.streams[0]?.indices[0]).to.include({ ilm_policy: APM_POLICY, prefer_ilm: true });
    expect(es.streams[1]?.indices[0]?.ilm_policy).to.equal(undefined);
    expect(changes).to.deep.include({ action: 'updated', kind: 'data stream policy', name: 'traces-apm-default' });
  });

  it('gives every APM data stream zero replicas through its @custom template, leaving the sampled traces their own lifetime', async () => {
    const es = aFakeCluster();
    await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    for (const dataset of [...APM_DATASETS, ...APM_REPLICA_ONLY_DATASETS]) {
      expect(es.templates.get(`${dataset}@custom`), dataset).to.nested.include({ 'template.settings.index.number_of_replicas': 0 });
    }
    expect(es.templates.get('traces-apm.sampled@custom')).to.not.have.nested.property('template.settings.index.lifecycle');
  });

  it('drops the unassignable replica of APM and Heartbeat indices made before the templates, then changes nothing', async () => {
    const es = aFakeCluster({
      replicas: new Map([
        ['.ds-traces-apm-default-2026.01.01-000001', '1'],
        ['.ds-heartbeat-9.5.6-2026.01.01-000001', '1'],
        ['.ds-metrics-apm.app.pillbox-default-2026.01.01-000001', '0'],
      ]),
    });
    const first = await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    expect([...es.replicas.values()]).to.deep.equal(['0', '0', '0']);
    expect(changed(first).filter((c) => c.kind === 'index replicas').map((c) => c.name)).to.deep.equal([
      '.ds-heartbeat-9.5.6-2026.01.01-000001',
      '.ds-traces-apm-default-2026.01.01-000001',
    ]);

    const second = await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    expect(changed(second)).to.deep.equal([]);
  });

  it('grants the writers only create/auto-configure on their own data, never manage or all', async () => {
    const es = aFakeCluster();
    await runElasticsearchPhase(es.client, es.verify, aConfig(), fast);
    const apm = es.roles.get('pillbox_apm_server_writer') as { cluster: string[]; indices: { names: string[]; privileges: string[] }[] };
    const heartbeat = es.roles.get('pillbox_heartbeat_writer') as typeof apm;
    for (const role of [apm, heartbeat]) {
      expect(role.cluster).to.deep.equal(['monitor']);
      for (const entry of role.indices) expect(entry.privileges).to.not.include.members(['all', 'manage', 'write', 'delete', 'index']);
    }
    expect(heartbeat.indices.flatMap((i) => i.names)).to.deep.equal(['heartbeat-*']);
    expect(apm.indices.find((i) => i.names.includes('.apm-agent-configuration'))?.privileges).to.deep.equal(['read']);
  });
});

describe('elk/setup, kibana phase', () => {
  it('enables the legacy Uptime app and creates the APM, Heartbeat and container logs data views, then changes nothing on a rerun', async () => {
    const kibana = aFakeKibana();
    const first = await runKibanaPhase(kibana.fetch, aConfig({}, 'kibana'), fast);
    expect(kibana.settings).to.deep.equal({ 'observability:enableLegacyUptimeApp': true });
    expect([...kibana.dataViews.keys()]).to.deep.equal(DATA_VIEWS.map((v) => v.id));
    // The Discover link of `npm run kibana` opens this one; its title matches the stream Filebeat writes.
    expect(kibana.dataViews.get(LOGS_DATA_VIEW_ID)).to.include({ title: 'logs-pillbox-*' });
    expect(LOGS_STREAM).to.match(/^logs-pillbox-/);
    expect(kibana.dataViews.get('pillbox-heartbeat')).to.include({ title: 'heartbeat-*', timeFieldName: '@timestamp' });
    expect(changed(first)).to.have.length(DATA_VIEWS.length + 1);

    const writes = kibana.writes.length;
    const second = await runKibanaPhase(kibana.fetch, aConfig({}, 'kibana'), fast);
    expect(changed(second)).to.deep.equal([]);
    expect(kibana.writes.length).to.equal(writes);
  });

  it('repairs a data view someone edited by hand', async () => {
    const kibana = aFakeKibana();
    await runKibanaPhase(kibana.fetch, aConfig({}, 'kibana'), fast);
    kibana.dataViews.set('pillbox-apm', { ...kibana.dataViews.get('pillbox-apm'), title: 'traces-apm*' });
    const again = await runKibanaPhase(kibana.fetch, aConfig({}, 'kibana'), fast);
    expect(changed(again)).to.deep.equal([{ action: 'updated', kind: 'data view', name: 'pillbox-apm' }]);
    expect(kibana.dataViews.get('pillbox-apm')?.title).to.equal('traces-apm*,logs-apm*,metrics-apm*');
  });

  it('configures a degraded Kibana: it still serves, and a busy Task Manager on a small box is enough to degrade it', async () => {
    const kibana = aFakeKibana('degraded');
    const changes = await runKibanaPhase(kibana.fetch, impatient(aConfig({}, 'kibana')), fast);
    expect(changed(changes)).to.have.length(DATA_VIEWS.length + 1);
  });

  it('gives up on an unreachable or unavailable Kibana at the deadline, naming it', async () => {
    for (const state of ['unreachable', 'unavailable'] as const) {
      const err = await rejection(runKibanaPhase(aFakeKibana(state).fetch, impatient(aConfig({}, 'kibana')), fast));
      expect(err.message).to.match(/^Kibana at http:\/\/kibana:5601 was not serving within \d+s \(last: /);
      expect((err as SetupError).hint).to.include('SETUP_KIBANA_TIMEOUT_SECONDS');
    }
  });

  it('stops at once when Kibana rejects the elastic password', async () => {
    const err = await rejection(runKibanaPhase(aFakeKibana('unauthorized').fetch, aConfig({ SETUP_KIBANA_TIMEOUT_SECONDS: '30' }, 'kibana'), fast));
    expect(err.message).to.include('rejected the password');
  });
});

describe('elk/setup configuration', () => {
  it('defaults retention to 7 days and the services to their compose hostnames', () => {
    const cfg = aConfig();
    expect(cfg).to.include({ apmRetentionDays: 7, heartbeatRetentionDays: 7, elasticsearchUrl: 'http://elasticsearch:9200', kibanaUrl: 'http://kibana:5601' });
  });

  it('names the missing secret and where it belongs', () => {
    const err = (() => {
      try {
        parseConfig('elasticsearch', { ...secrets, APM_SERVER_ES_PASSWORD: '' });
      } catch (e) {
        return e as SetupError;
      }
      throw new Error('expected a SetupError');
    })();
    expect(err.message).to.equal('APM_SERVER_ES_PASSWORD is not set.');
    expect(err.hint).to.include('secrets env file');
  });

  it('reads the elastic password from the compose secret file named by ELASTIC_PASSWORD_FILE, without its newline', () => {
    const files: Record<string, string> = { '/run/secrets/elastic_password': `${secrets.ELASTIC_PASSWORD}\n` };
    const { ELASTIC_PASSWORD: _fromEnv, ...others } = secrets;
    const cfg = parseConfig('elasticsearch', { ...others, ELASTIC_PASSWORD_FILE: '/run/secrets/elastic_password' }, (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    });
    expect(cfg.elasticPassword).to.equal(secrets.ELASTIC_PASSWORD);
  });

  it('refuses an ELASTIC_PASSWORD_FILE it cannot read, and both ways of passing the password at once', () => {
    const unreadable = () => {
      throw new Error('EACCES: permission denied');
    };
    const { ELASTIC_PASSWORD: _fromEnv, ...others } = secrets;
    expect(() => parseConfig('kibana', { ...others, ELASTIC_PASSWORD_FILE: '/run/secrets/elastic_password' }, unreadable)).to.throw(
      SetupError,
      'ELASTIC_PASSWORD_FILE=/run/secrets/elastic_password cannot be read (EACCES: permission denied).',
    );
    expect(() => parseConfig('kibana', { ...secrets, ELASTIC_PASSWORD_FILE: '/run/secrets/elastic_password' }, () => 'x')).to.throw(
      SetupError,
      'Both ELASTIC_PASSWORD and ELASTIC_PASSWORD_FILE are set.',
    );
  });

  it('needs only the elastic password for the kibana phase', () => {
    expect(parseConfig('kibana', { ELASTIC_PASSWORD: secrets.ELASTIC_PASSWORD }).elasticPassword).to.equal(secrets.ELASTIC_PASSWORD);
  });

  it('rejects a retention that is not a whole number of days in range', () => {
    for (const bad of ['abc', '0', '1.5', '400']) {
      expect(() => parseConfig('elasticsearch', { ...secrets, APM_RETENTION_DAYS: bad })).to.throw(
        SetupError,
        `APM_RETENTION_DAYS=${bad}: expected a whole number of days from 1 to 365.`,
      );
    }
  });

  it('rejects an unknown phase with the list of phases', () => {
    expect(() => parsePhase('all')).to.throw(SetupError, 'Unknown phase "all".');
  });
});
