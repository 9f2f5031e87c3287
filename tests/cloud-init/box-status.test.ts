// The box status script, run for real under sh with stand-ins for docker and df: what it sends Elasticsearch, and when.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CLOUD_INIT_DIR, fillPlaceholders, placeholders } from '../../scripts/lib/box/user-data.js';

const INPUT = { env: 'dev', region: 'eu-west-1', allowedCidr: '203.0.113.7/32', accountId: '123456789012', gitSha: 'a'.repeat(40), source: { key: 'k', sha256: 'b'.repeat(64) }, expiresAt: new Date('2026-11-22T06:30:00Z') };

// docker: `ps` answers by filter, `inspect` prints "/<name> <restarts>" per container, `exec -i <es> curl ...` logs its
// argv (NUL-separated: the body spans lines) and stdin (the curl config) and answers as _bulk does ($BULK_REPLY).
const DOCKER = `#!/bin/sh
dir=$(dirname "$0")
case "$1" in
  ps)
    case "$*" in
      *com.docker.compose.service=elasticsearch*) [ -n "$ES_RUNNING" ] && echo es0001 ;;
      *--all*com.docker.compose.project=pillbox*) printf '%s\\n' c1 c2 ;;
    esac ;;
  inspect) shift 3; for c in "$@"; do case "$c" in c1) echo "/pillbox-app-1 $APP_RESTARTS" ;; c2) echo "/pillbox-postgres-1 0" ;; esac; done ;;
  exec) printf '%s\\0' "$@" >"$dir/exec.argv"; cat >"$dir/exec.stdin"; printf '%s' "$BULK_REPLY" ;;
  *) echo "unexpected docker $*" >&2; exit 2 ;;
esac`;
const DF = `#!/bin/sh
printf 'Filesystem 1024-blocks Used Available Capacity Mounted on\\n/dev/nvme0n1p1 20959212 17000000 3000000 85%% /\\n'`;

describe('cloud-init/box-status.sh', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pillbox-box-status-'));
    for (const [name, body] of [['docker', DOCKER], ['df', DF]] as const) {
      writeFileSync(join(dir, name), body);
      chmodSync(join(dir, name), 0o755);
    }
    writeFileSync(join(dir, 'secrets.env'), 'HEARTBEAT_ES_PASSWORD=other\nBOX_STATUS_ES_PASSWORD=box-status-pw-0123456789\n');
    const values = { ...placeholders(INPUT), SECRETS_ENV: join(dir, 'secrets.env'), BOX_STATUS_STATE: join(dir, 'state') };
    writeFileSync(join(dir, 'box-status'), fillPlaceholders(readFileSync(`${CLOUD_INIT_DIR}box-status.sh`, 'utf8'), values, 'box-status.sh'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (env: Record<string, string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('sh', [join(dir, 'box-status')], { env: { PATH: `${dir}:${process.env['PATH']}`, ES_RUNNING: '1', APP_RESTARTS: '0', BULK_REPLY: '{"took":3,"errors":false,"items":[]}', ...env } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const sent = () => {
    const argv = readFileSync(join(dir, 'exec.argv'), 'utf8').split('\0');
    const body = argv[argv.indexOf('--data-binary') + 1] ?? '';
    return { argv, stdin: readFileSync(join(dir, 'exec.stdin'), 'utf8'), docs: body.trim().split('\n').filter((_, i) => i % 2 === 1).map((l) => JSON.parse(l) as Record<string, unknown>), body };
  };

  it('appends the root filesystem use to the box status stream as its writer, the password on stdin only', async () => {
    const { code, stdout } = await run({});
    expect(code).to.equal(0);
    const { argv, stdin, docs, body } = sent();
    expect(argv.slice(0, 3)).to.deep.equal(['exec', '-i', 'es0001']);
    expect(argv).to.include('http://127.0.0.1:9200/logs-pillbox.box-default/_bulk');
    expect(stdin).to.equal('user = "pillbox_box_status:box-status-pw-0123456789"\n');
    expect(argv.join(' ')).to.not.include('box-status-pw');
    // _bulk takes newline-delimited JSON ending in a newline, each document after its own action line.
    expect(body.endsWith('\n')).to.equal(true);
    expect(body.split('\n')[0]).to.equal('{"create":{}}');
    expect(docs).to.have.length(1);
    expect(docs[0]).to.deep.include({ event: { dataset: 'pillbox.box', kind: 'metric' }, system: { filesystem: { mount_point: '/', used: { pct: 0.85 } } } });
    expect(stdout).to.include('disk 0.8500 used; restarted: none');
  });

  it('reports a container whose restart count grew, once', async () => {
    await run({ APP_RESTARTS: '2' });
    expect(sent().docs[1]).to.deep.include({ event: { dataset: 'pillbox.box', kind: 'event', action: 'container-restarted' }, container: { name: 'pillbox-app-1', restart_count: 2 } });
    await run({ APP_RESTARTS: '2' });
    expect(sent().docs).to.have.length(1);
    await run({ APP_RESTARTS: '3' });
    expect(sent().docs.map((d) => (d['container'] as { restart_count?: number } | undefined)?.restart_count)).to.deep.equal([undefined, 3]);
  });

  it('keeps a restart for the next run when Elasticsearch refuses the documents, and says so', async () => {
    const refused = await run({ APP_RESTARTS: '1', BULK_REPLY: '{"errors":true,"items":[{"create":{"status":403}}]}' });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('Elasticsearch did not take the box status: {"errors":true');
    expect(existsSync(join(dir, 'state'))).to.equal(false);
    await run({ APP_RESTARTS: '1' });
    expect(sent().docs[1]).to.deep.include({ container: { name: 'pillbox-app-1', restart_count: 1 } });
  });

  it('skips, saying why, on a box whose secrets predate its writer or whose Elasticsearch is not running', async () => {
    writeFileSync(join(dir, 'secrets.env'), 'HEARTBEAT_ES_PASSWORD=other\n');
    const old = await run({});
    expect(old.code).to.equal(0);
    expect(old.stderr).to.include('BOX_STATUS_ES_PASSWORD is not in');
    writeFileSync(join(dir, 'secrets.env'), 'BOX_STATUS_ES_PASSWORD=box-status-pw-0123456789\n');
    const down = await run({ ES_RUNNING: '' });
    expect(down.code).to.equal(0);
    expect(down.stderr).to.include('Elasticsearch is not running');
    expect(existsSync(join(dir, 'exec.argv'))).to.equal(false);
  });
});
