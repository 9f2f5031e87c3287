// The alert rules run by a real ElastAlert, against an Elasticsearch-shaped server and a local webhook receiver.
// ElastAlert2 itself needs PyPI; Debian ships the ElastAlert 0.2.4 it was forked from (`apt-get install elastalert`),
// which runs every rule here but latency-p95 (`percentiles` is ElastAlert2's; STEPS.md says what each one verifies).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startFakeElasticsearch, type StoredDoc } from './fake-elasticsearch-http.js';

const ELASTALERT_024 = '/usr/lib/python3/dist-packages/elastalert/elastalert.py';
const RULES_DIR = 'elk/elastalert/rules';
/** Rules whose options ElastAlert 0.2.4 lacks; checked against ElastAlert2's schema by hand (STEPS.md). */
const ELASTALERT2_ONLY = ['latency-p95.yaml'];
/** A Python 2 leftover of Debian's 0.2.4, fixed at start-up (see the file). */
const SHIM = 'tests/elk/elastalert-0.2.4';

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
const heartbeat = (id: string, status: 'up' | 'down', extra: Record<string, unknown> = {}): StoredDoc => ({
  index: 'heartbeat-9.5.6',
  source: { '@timestamp': ago(40), monitor: { id, status, type: 'http' }, ...extra },
});
const transactions = (total: number, failing: number): StoredDoc[] =>
  Array.from({ length: total }, (_, i) => ({
    index: 'traces-apm-default',
    source: {
      '@timestamp': ago(60 - i),
      processor: { event: 'transaction' },
      service: { name: 'pillbox' },
      transaction: { type: 'request', duration: { us: 12_000 } },
      http: { response: { status_code: i < failing ? 500 : 200 } },
    },
  }));
const box = (source: Record<string, unknown>): StoredDoc => ({ index: 'logs-pillbox.box-default', source: { '@timestamp': ago(30), event: { dataset: 'pillbox.box' }, ...source } });
const disk = (pct: number) => box({ event: { dataset: 'pillbox.box', kind: 'metric' }, system: { filesystem: { mount_point: '/', used: { pct } } } });

const HEALTHY: StoredDoc[] = [
  heartbeat('pillbox-app-readyz', 'up', { http: { response: { status_code: 200 } } }),
  heartbeat('pillbox-elasticsearch', 'up', { http: { response: { status_code: 200 } } }),
  heartbeat('pillbox-kibana', 'up', { http: { response: { status_code: 200 } } }),
  ...transactions(30, 1),
  disk(0.42),
];
const FAILING: StoredDoc[] = [
  heartbeat('pillbox-app-readyz', 'down', { error: { type: 'io', message: 'Get "http://caddy:8080/readyz": context deadline exceeded' } }),
  heartbeat('pillbox-app-readyz', 'down', { http: { response: { status_code: 503 } } }),
  heartbeat('pillbox-elasticsearch', 'down', { http: { response: { status_code: 200 } }, error: { type: 'validate', message: 'JSON body did not match' } }),
  heartbeat('pillbox-kibana', 'up', { http: { response: { status_code: 200 } } }),
  ...transactions(30, 10),
  disk(0.91),
  box({ event: { dataset: 'pillbox.box', kind: 'event', action: 'container-restarted' }, container: { name: 'pillbox-app-1', restart_count: 2 } }),
];

interface Run {
  alerts: Record<string, unknown>[];
  requests: string[];
  written: StoredDoc[];
  authorizations: Set<string>;
  output: string;
}

/** One ElastAlert process over the rules, from ten minutes ago until a few runs have passed, then its alerts. */
async function runElastAlert(data: StoredDoc[]): Promise<Run> {
  const alerts: Record<string, unknown>[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      alerts.push({ ...(JSON.parse(body) as Record<string, unknown>), '(path)': req.url });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/pillbox`;
  const es = await startFakeElasticsearch(data);
  const dir = mkdtempSync(join(tmpdir(), 'pillbox-elastalert-'));
  try {
    // ElastAlert2 expands ${ALERT_WEBHOOK_URL} when it reads a rule (elastalert/yaml.py); 0.2.4 does not, so the copy
    // here carries the value, as the engine on the box sees it. And 0.2.4 reads each hit's `_type`, which
    // Elasticsearch 8 and later no longer return, unless the rule names its doc_type (ElastAlert2 has neither).
    mkdirSync(join(dir, 'rules'));
    for (const file of readdirSync(RULES_DIR).filter((f) => !ELASTALERT2_ONLY.includes(f))) {
      writeFileSync(join(dir, 'rules', file), `${readFileSync(join(RULES_DIR, file), 'utf8').replaceAll('${ALERT_WEBHOOK_URL}', hook)}doc_type: _doc\n`);
    }
    const config = parse(readFileSync('elk/elastalert/config.yaml', 'utf8')) as Record<string, unknown>;
    // The box's settings, but this server, and runs every 5 s so a few happen while the test waits.
    writeFileSync(join(dir, 'config.yaml'), stringify({ ...config, es_host: '127.0.0.1', es_port: es.port, rules_folder: join(dir, 'rules'), run_every: { seconds: 5 } }));
    const stamp = (d: Date) => d.toISOString().slice(0, 19);
    const argv = ['-m', 'elastalert.elastalert', '--config', join(dir, 'config.yaml'), '--verbose', '--start', stamp(new Date(Date.now() - 600_000)), '--end', stamp(new Date(Date.now() + 25_000))];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('/usr/bin/python3', argv, { env: { PATH: process.env['PATH'], PYTHONPATH: SHIM, ES_USERNAME: 'pillbox_elastalert', ES_PASSWORD: 'elastalert-password-0123456' } });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text += c.toString()));
      child.stderr.on('data', (c: Buffer) => (text += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    return { alerts, requests: es.requests, written: es.written, authorizations: es.authorizations, output };
  } finally {
    await es.close();
    await new Promise((resolve) => receiver.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('elk/elastalert rules delivered by a real ElastAlert (Debian 0.2.4) to a local webhook', function () {
  this.timeout(120_000);
  let failing: Run;
  let healthy: Run;

  before(async function () {
    if (!existsSync(ELASTALERT_024)) {
      console.log(`    (skipped: ElastAlert is not installed here; \`apt-get install elastalert\` provides it, as .ci/run does)`);
      this.skip();
    }
    // Both at once: each waits for ElastAlert's first runs (up to 15 s of start-up jitter, elastalert.py).
    [failing, healthy] = await Promise.all([runElastAlert(FAILING), runElastAlert(HEALTHY)]);
  });

  it('posts one alert per failing rule to the webhook, with the fields each rule sends', () => {
    const byRule = new Map(failing.alerts.map((a) => [a['rule'], a]));
    expect([...byRule.keys()].sort(), failing.output.split("\n").filter((l) => /5xx|Error|error|Traceback|File/.test(l)).slice(-40).join("\n")).to.deep.equal(['app-down', 'container-restarting', 'disk-high', 'elasticsearch-red', 'http-5xx-rate', 'readiness-failing']);
    expect(failing.alerts, 'one message per rule, not one per failed check').to.have.length(6);
    for (const alert of failing.alerts) {
      expect(alert['(path)']).to.equal('/hooks/pillbox');
      // Slack and Teams read `text`, Discord `content`: one message for each kind of incoming webhook.
      expect(alert['text']).to.be.a('string').and.match(/^pillbox: /);
      expect(alert['content']).to.equal(alert['text']);
    }
    expect(byRule.get('app-down')).to.deep.include({ monitor: 'pillbox-app-readyz', error: 'Get "http://caddy:8080/readyz": context deadline exceeded' });
    expect(byRule.get('readiness-failing')).to.deep.include({ monitor: 'pillbox-app-readyz', status_code: 503 });
    expect(byRule.get('elasticsearch-red')).to.deep.include({ monitor: 'pillbox-elasticsearch' });
    expect(byRule.get('http-5xx-rate')).to.deep.include({ denominator: 30 });
    expect(Number(byRule.get('http-5xx-rate')?.['percentage'])).to.be.closeTo(33.3, 0.1);
    expect(byRule.get('disk-high')).to.deep.include({ used_pct: 0.91, mount: '/' });
    expect(byRule.get('container-restarting')).to.deep.include({ container: 'pillbox-app-1', restarts: 2 });
  });

  it('records its runs and the alerts it sent in its own writeback indices only', () => {
    const indices = new Set(failing.written.map((w) => w.index));
    for (const index of indices) expect(index).to.match(/^elastalert/);
    expect(failing.written.filter((w) => w.index === 'elastalert' && w.source['alert_sent'] === true)).to.have.length(6);
    expect(failing.written.some((w) => w.index === 'elastalert_status')).to.equal(true);
  });

  it('sends nothing for a healthy data set (one 5xx in 30 requests is under the rate, disk at 42%)', () => {
    for (const file of readdirSync(RULES_DIR).filter((f) => !ELASTALERT2_ONLY.includes(f))) {
      const { name } = parse(readFileSync(join(RULES_DIR, file), 'utf8')) as { name: string };
      expect(healthy.output, `${name} ran`).to.include(`Ran ${name} from`);
    }
    expect(healthy.output, healthy.output.slice(-3000)).to.not.match(/disabled|Traceback/);
    expect(healthy.alerts, healthy.output.slice(-3000)).to.deep.equal([]);
  });

  it('authenticates every request as the reader user from ES_USERNAME and ES_PASSWORD, as compose passes them', () => {
    const basic = `Basic ${Buffer.from('pillbox_elastalert:elastalert-password-0123456').toString('base64')}`;
    expect([...failing.authorizations]).to.deep.equal([basic]);
  });

  it('queries only the indices the reader role may read (elk/setup/src/security.ts)', () => {
    const searched = new Set(failing.requests.filter((r) => r.endsWith('/_search')).map((r) => r.split(' ')[1]?.split('/')[1]));
    for (const index of searched) expect(index).to.match(/^(heartbeat-\*|traces-apm\*|logs-pillbox\.box-default|elastalert.*)$/);
    expect(searched).to.include.members(['heartbeat-*', 'traces-apm*', 'logs-pillbox.box-default']);
  });
});

