import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { LOGS_POLICY } from '../../elk/setup/src/retention.js';
import { FILEBEAT_USER, LOGS_STREAM, ROLES } from '../../elk/setup/src/security.js';
import { SECRET_NAMES } from '../../scripts/lib/aws/secrets.js';
import { containerEnvironment, loadCompose, mebibytes, parseEnvFile, readText, type Service } from '../compose/compose-files.js';
import { getPath, runPipeline, type DockerLabels, type Event } from './filebeat-processors.js';

const text = readFileSync('elk/filebeat/filebeat.yml', 'utf8');
const config = parse(text) as Record<string, unknown> & { processors: Record<string, unknown>[] };
const compose = loadCompose('compose/compose.yaml');
const composeText = readText('compose/compose.yaml');
const filebeat = compose.services['filebeat'] as Service;

const APP = 'a'.repeat(64);
const NEXT = 'b'.repeat(64);
const CADDY = 'c'.repeat(64);
const POSTGRES = 'd'.repeat(64);
const service = (name: string) => ({ 'com.docker.compose.project': 'pillbox', 'com.docker.compose.service': name });
const docker: DockerLabels = { [APP]: service('app'), [NEXT]: service('app-next'), [CADDY]: service('caddy'), [POSTGRES]: service('postgres') };

/** A line as Docker's json-file driver writes it: the container's output in `log`, newline included. */
const jsonFile = (line: string, stream = 'stdout') => JSON.stringify({ log: `${line}\n`, stream, time: '2026-12-07T21:00:00.123456789Z' });
const ship = (line: string, container: string): Event => runPipeline(config.processors, jsonFile(line), container, docker);

// Shapes as the app writes them (app/src/observability: @elastic/ecs-pino-format with the APM agent's trace ids).
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const TRANSACTION = 'b7ad6b7169203331';
const appRequest = JSON.stringify({
  'log.level': 'info',
  '@timestamp': '2026-12-07T21:00:00.120Z',
  'process.pid': 17,
  'host.hostname': 'a1b2c3',
  'ecs.version': '8.10.0',
  'service.name': 'pillbox',
  http: { request: { method: 'POST' }, response: { status_code: 201 } },
  url: { path: '/api/medications' },
  event: { duration: 4_200_000 },
  'trace.id': TRACE,
  'transaction.id': TRANSACTION,
  message: 'POST /api/medications 201',
});
const appError = JSON.stringify({
  'log.level': 'error',
  '@timestamp': '2026-12-07T21:00:01.000Z',
  'ecs.version': '8.10.0',
  error: { type: 'Error', message: 'connect ECONNREFUSED', stack_trace: 'Error: connect ECONNREFUSED\n    at pg (db.js:1:1)' },
  'trace.id': TRACE,
  message: 'request failed',
});
// Caddy's access line (compose/caddy/Caddyfile `log`, format json). Authorization is already REDACTED by Caddy; an
// X-Api-Key is not, and neither would Authorization be with `log_credentials`: the pipeline must drop them all.
const caddyAccess = JSON.stringify({
  level: 'info',
  ts: 1765141200.12,
  logger: 'http.log.access.log0',
  msg: 'handled request',
  request: {
    remote_ip: '203.0.113.7',
    proto: 'HTTP/2.0',
    method: 'POST',
    host: 'pillbox.example.com',
    uri: '/api/medications',
    headers: { Authorization: ['Bearer a-leaked-write-password'], Cookie: ['REDACTED'], 'X-Api-Key': ['another-secret-value'], 'User-Agent': ['curl/8.5.0'] },
    tls: { resumed: false, version: 772, server_name: 'pillbox.example.com' },
  },
  bytes_read: 52,
  user_id: '',
  duration: 0.0042,
  size: 180,
  status: 201,
  resp_headers: { 'Set-Cookie': ['session=should-not-ship'], 'Content-Type': ['application/json'] },
});

describe('elk/filebeat/filebeat.yml', () => {
  it('says what it does on its first line and links the upstream reference', () => {
    const head = text.split('\n').slice(0, 4);
    expect(head[0]).to.match(/^# Filebeat: ships every container's log lines/);
    expect(head.some((line) => /^# Reference: https:\/\/www\.elastic\.co\/docs\/reference\/beats\/filebeat\//.test(line))).to.equal(true);
  });

  it("reads Docker's json-file logs through the container parser, every stream", () => {
    const [input] = config['filebeat.inputs'] as Record<string, unknown>[];
    expect(input).to.deep.include({ type: 'filestream', id: 'pillbox-containers', paths: ['/var/lib/docker/containers/*/*.log'] });
    expect(input?.['parsers']).to.deep.equal([{ container: { stream: 'all', format: 'docker' } }]);
  });

  it('writes as its own least-privilege user into the one stream that user may append to, loading no template or policy', () => {
    const output = config['output.elasticsearch'] as Record<string, unknown>;
    expect(output).to.include({ username: FILEBEAT_USER, password: '${FILEBEAT_ES_PASSWORD}', index: LOGS_STREAM });
    expect(ROLES['pillbox_filebeat_writer']?.indices).to.deep.equal([{ names: [LOGS_STREAM], privileges: ['auto_configure', 'create_doc'] }]);
    expect(config['setup.template.enabled']).to.equal(false);
    expect(config['setup.ilm.enabled']).to.equal(false);
    expect(LOGS_POLICY).to.equal('pillbox-logs');
  });

  it('keeps every secret a ${VAR}', () => {
    expect(text).to.not.match(/password:\s*["']?[^"'$\s]/);
  });

  describe('the processors, run on sample lines', () => {
    it("parses the app's ECS request line onto the root with trace.id and transaction.id intact", () => {
      const event = ship(appRequest, APP);
      expect(getPath(event, 'trace.id')).to.equal(TRACE);
      expect(getPath(event, 'transaction.id')).to.equal(TRANSACTION);
      expect(event['message']).to.equal('POST /api/medications 201');
      expect(getPath(event, 'log.level')).to.equal('info');
      expect(getPath(event, 'http.response.status_code')).to.equal(201);
      expect(getPath(event, 'error.message')).to.equal(undefined);
      // The second color is the same app.
      expect(getPath(ship(appRequest, NEXT), 'trace.id')).to.equal(TRACE);
    });

    it("keeps an error line's type, message and stack trace", () => {
      const event = ship(appError, APP);
      expect(getPath(event, 'error.stack_trace')).to.match(/^Error: connect ECONNREFUSED\n/);
      expect(getPath(event, 'log.level')).to.equal('error');
      expect(event['message']).to.equal('request failed');
    });

    it("ships Caddy's access line without any request or response header, nor the raw line that held them", () => {
      const event = ship(caddyAccess, CADDY);
      expect(event['message']).to.equal('handled request');
      expect(getPath(event, 'caddy.status')).to.equal(201);
      expect(getPath(event, 'caddy.request.uri')).to.equal('/api/medications');
      expect(getPath(event, 'caddy.request.headers')).to.equal(undefined);
      expect(getPath(event, 'caddy.resp_headers')).to.equal(undefined);
      const shipped = JSON.stringify(event);
      for (const secret of ['a-leaked-write-password', 'another-secret-value', 'should-not-ship']) expect(shipped).to.not.include(secret);
    });

    it('cuts a bearer or basic credential out of any plain-text line', () => {
      const event = ship('2026-12-07 21:00:00 UTC [42] LOG:  client sent Authorization: Bearer abcdefghijklmnop0123', POSTGRES);
      expect(event['message']).to.equal('2026-12-07 21:00:00 UTC [42] LOG:  client sent Authorization: [REDACTED credential]');
      expect(ship('auth Basic b3BlcmF0b3I6c2VjcmV0LXZhbHVl', POSTGRES)['message']).to.equal('auth [REDACTED credential]');
    });

    it('drops a body or headers an app line might carry', () => {
      const withBody = JSON.stringify({ ...JSON.parse(appRequest), http: { request: { method: 'POST', body: { content: '{"name":"secret"}' }, headers: { authorization: 'x' } } } });
      const event = ship(withBody, APP);
      expect(getPath(event, 'http.request.body')).to.equal(undefined);
      expect(getPath(event, 'http.request.headers')).to.equal(undefined);
      expect(getPath(event, 'http.request.method')).to.equal('POST');
      expect(JSON.stringify(event)).to.not.include('secret');
    });

    it('leaves a line that is not JSON as text, even from the app', () => {
      const event = ship('npm warn config production Use `--omit=dev` instead.', APP);
      expect(event['message']).to.equal('npm warn config production Use `--omit=dev` instead.');
      expect(getPath(event, 'error.message')).to.be.a('string');
    });

    it('selects containers by the compose service names compose.yaml has', () => {
      const named = JSON.stringify(config.processors).match(/"container\.labels\.com_docker_compose_service":"([a-z-]+)"/g) ?? [];
      const services = named.map((m) => m.split(':')[1]!.replace(/"/g, ''));
      expect(services.sort()).to.deep.equal(['app', 'app-next', 'caddy']);
      for (const name of services) expect(compose.services, name).to.have.property(name);
    });
  });
});

describe('the filebeat service in compose.yaml', () => {
  it('runs the pinned Filebeat as root, reading the container logs and the Docker socket read-only', () => {
    expect(filebeat.image).to.match(/^docker\.elastic\.co\/beats\/filebeat:\$\{ELASTIC_VERSION:\?/);
    expect(filebeat.user).to.equal('root');
    expect(filebeat.volumes).to.include.members([
      '../elk/filebeat/filebeat.yml:/usr/share/filebeat/filebeat.yml:ro',
      '/var/lib/docker/containers:/var/lib/docker/containers:ro',
      '/var/run/docker.sock:/var/run/docker.sock:ro',
      'filebeat-data:/usr/share/filebeat/data',
    ]);
  });

  it('waits for setup (its user, template and policy) and gets only its own password', () => {
    expect(filebeat.depends_on).to.deep.equal({ elasticsearch: { condition: 'service_healthy' }, setup: { condition: 'service_completed_successfully' } });
    expect(Object.keys(filebeat.environment ?? {}).filter((name) => /PASSWORD|SECRET|TOKEN|KEY/.test(name))).to.deep.equal(['FILEBEAT_ES_PASSWORD']);
    expect(compose.services['setup']?.environment).to.have.property('FILEBEAT_ES_PASSWORD');
  });

  it('bounds its memory under a backlog: a small queue and batches, few files at once, and a Go soft limit under the hard one', () => {
    const queue = (config['queue.mem'] ?? {}) as Record<string, number | string>;
    const output = config['output.elasticsearch'] as Record<string, unknown>;
    const [input] = config['filebeat.inputs'] as Record<string, unknown>[];
    expect(queue['events']).to.equal(512);
    expect(queue['flush.min_events']).to.be.at.most(queue['events'] as number);
    expect(output['bulk_max_size']).to.equal(128);
    expect(input?.['harvester_limit']).to.equal(32);
    const soft = (filebeat.environment?.['GOMEMLIMIT'] ?? '').match(/^(\d+)MiB$/)?.[1];
    expect(Number(soft)).to.be.within(64, mebibytes(filebeat.deploy?.resources?.limits?.memory ?? '0m') - 16);
  });

  it('lets every compose command run on a box whose secrets predate FILEBEAT_ES_PASSWORD (compose interpolates inactive profiles too)', () => {
    const secretsBefore = { ...parseEnvFile(readText('compose/.env')), ...Object.fromEntries(SECRET_NAMES.map((n) => [n, `${n.toLowerCase()}-value`])) };
    delete (secretsBefore as Record<string, string>)['FILEBEAT_ES_PASSWORD'];
    // The allowed range is in the box's settings since the edge enforces it (provision writes it; deploy refuses without it).
    (secretsBefore as Record<string, string>)['PILLBOX_ALLOWED_CIDR'] = '203.0.113.7/32';
    const required = [...composeText.matchAll(/(?<!\$)\$\{([A-Z_0-9]+):\?/g)].map((m) => m[1] as string);
    expect(required).to.include('HEARTBEAT_ES_PASSWORD');
    expect(required.filter((name) => !(name in secretsBefore))).to.deep.equal([]);
    expect(containerEnvironment(compose.services['setup'] as Service, secretsBefore)['FILEBEAT_ES_PASSWORD']).to.equal('');
    expect(containerEnvironment(filebeat, secretsBefore)['FILEBEAT_ES_PASSWORD']).to.equal('');
  });

  it('stops at start with the fix when its password is empty, and otherwise runs the beat with its command', () => {
    const entrypoint = (filebeat.entrypoint ?? []).map((part) => part.replaceAll('$$', '$'));
    expect(entrypoint.slice(0, 2)).to.deep.equal(['bash', '-c']);
    const start = (password: string) =>
      spawnSync(entrypoint[0] as string, [...entrypoint.slice(1), ...(filebeat.command ?? [])], { env: { PATH: process.env['PATH'], HOME: '/nonexistent', FILEBEAT_ES_PASSWORD: password }, encoding: 'utf8' });
    const empty = start('');
    expect(empty.status).to.equal(1);
    expect(empty.stderr.trim()).to.equal('FILEBEAT_ES_PASSWORD is not set; add it to /etc/pillbox/secrets.env (npm run provision creates it)');
    // Here the beat's binary does not exist: bash reaching the exec (127, naming it) is the proof it got past the check.
    const set = start('filebeat-password-012345678');
    expect(set.status).to.equal(127);
    expect(set.stderr).to.include('/usr/share/filebeat/filebeat');
  });
});
