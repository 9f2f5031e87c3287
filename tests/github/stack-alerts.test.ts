// stack.yml's alert and box status checks (they run only on a GitHub runner with Docker): their structure, and the
// receiver and the alert probe of compose/ci/stack-checks.sh run here for real (bash and python3).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { SECRET_NAMES } from '../../scripts/lib/aws/secrets.js';

interface Step {
  name?: string;
  run?: string;
}
const stack = parse(readFileSync('.github/workflows/stack.yml', 'utf8')) as { jobs: { stack: { steps: Step[] } } };
const stepNamed = (pattern: RegExp) => stack.jobs.stack.steps.find((s) => pattern.test(s.name ?? ''));
const lines = (step: Step | undefined) => (step?.run ?? '').split('\n').map((l) => l.trim());

describe('stack.yml: alerts and box status', () => {
  it('generates every secret the box gets from Parameter Store, the alert engine\'s and the box status writer\'s included', () => {
    const secrets = stepNamed(/^Write throwaway env files/)?.run ?? '';
    const names = /for name in ([^;]+);/s.exec(secrets)?.[1]?.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
    // The alert destination is an operator setting, not generated: the alert step sets it.
    expect(names).to.have.members([...SECRET_NAMES]);
  });

  it('stops the app and fails unless an app-down alert newer than the stop reaches the local receiver within 2 minutes', () => {
    const step = lines(stepNamed(/^Stopping the app sends an alert/));
    const at = (pattern: RegExp) => step.findIndex((l) => pattern.test(l));
    expect(step[0]).to.equal('set -euo pipefail');
    // The destination reaches the engine as on the box: secrets.env, then the engine alone recreated.
    expect(at(/ALERT_WEBHOOK_URL=http:\/\/\$gateway:\$ALERT_RECEIVER_PORT\/pillbox" >> "\$RUNNER_TEMP\/secrets.env"/)).to.be.greaterThan(at(/start_alert_receiver/));
    expect(at(/^stack up --detach --no-deps --wait .* elastalert$/)).to.be.greaterThan(at(/ALERT_WEBHOOK_URL=/));
    // A healthy stack sent no app-down alert first.
    expect(at(/alert_received "\$ALERTS_RECEIVED" app-down 0; then echo "::error::/)).to.be.greaterThan(at(/elastalert$/));
    const stopped = at(/^stopped=\$\(date \+%s\)$/);
    expect(step[stopped + 1]).to.equal('stack stop app');
    const wait = /^if ! retry (\d+) (\d+) alert_received "\$ALERTS_RECEIVED" app-down "\$stopped"; then$/.exec(step[stopped + 2] ?? '');
    expect(wait, step[stopped + 2]).to.not.equal(null);
    expect(Number(wait?.[1]) * Number(wait?.[2])).to.be.at.most(120);
    expect(step).to.include('if ((elapsed > 120)); then echo "::error::the app-down alert took ${elapsed}s, more than 2 minutes"; exit 1; fi');
    expect(at(/^stack start app$/)).to.be.greaterThan(stopped);
  });

  it('runs the box status script as the box does, and fails when it wrote no disk use', () => {
    const step = stepNamed(/^The box status script/)?.run ?? '';
    expect(step).to.include("readFileSync('cloud-init/box-status.sh', 'utf8')");
    expect(step).to.match(/retry \d+ \d+ box_status_reported \|\| \{ echo "::error::/);
  });

  describe('the receiver and the alert probe (compose/ci/stack-checks.sh)', function () {
    this.timeout(30_000);
    let dir: string;
    let receiver: number;
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const bash = (script: string) => spawnSync('bash', ['-c', `set -euo pipefail; source compose/ci/stack-checks.sh; ${script}`], { encoding: 'utf8', env: { ...process.env, DIR: dir, PORT: String(port) } });

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pillbox-receiver-'));
      const started = bash('start_alert_receiver "$DIR/alerts.jsonl" "$PORT"');
      receiver = Number(started.stdout.trim());
      expect(receiver).to.be.greaterThan(0);
      for (let i = 0; i < 50; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{"rule":"probe"}' }).then((r) => r.ok, () => false);
        if (ok) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the receiver did not start');
    });
    after(() => {
      process.kill(receiver);
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps each POSTed alert as one line, and finds an app-down alert only when its document is from the stop or later', async () => {
      const post = (body: unknown) => fetch(`http://127.0.0.1:${port}/pillbox`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body, null, 2) });
      expect((await post({ rule: 'disk-high', checked_at: '2026-12-07T23:00:00Z' })).status).to.equal(200);
      expect((await post({ rule: 'app-down', text: 'pillbox: the app is down', checked_at: '2026-12-07T23:00:30.125Z' })).status).to.equal(200);
      const kept = readFileSync(join(dir, 'alerts.jsonl'), 'utf8').trim().split('\n');
      expect(kept).to.have.length(3);
      const stop = Date.parse('2026-12-07T23:00:10Z') / 1000;
      expect(bash(`alert_received "$DIR/alerts.jsonl" app-down ${stop}`).status).to.equal(0);
      expect(bash(`alert_received "$DIR/alerts.jsonl" app-down ${stop + 60}`).status).to.equal(1);
      expect(bash(`alert_received "$DIR/alerts.jsonl" readiness-failing 0`).status).to.equal(1);
    });
  });
});
