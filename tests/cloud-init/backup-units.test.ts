// The backup timer and service, the expiry's last backup, and the edge's hourly certificate check, as systemd reads them:
// `systemd-analyze verify` (systemd 252 here, as on AL2023) on the rendered unit files.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { BACKUP_SERVICE, BACKUP_TIMER, BOX_STATUS_SERVICE, BOX_STATUS_TIMER, EDGE_CHECK_SERVICE, EDGE_CHECK_TIMER, EXPIRE_SERVICE } from '../../scripts/lib/box/layout.js';
import { CLOUD_INIT_DIR, fillPlaceholders, placeholders } from '../../scripts/lib/box/user-data.js';

const UNITS: [string, string][] = [
  ['backup.service', BACKUP_SERVICE],
  ['backup.timer', BACKUP_TIMER],
  ['expire.service', EXPIRE_SERVICE],
  ['edge-check.service', EDGE_CHECK_SERVICE],
  ['edge-check.timer', EDGE_CHECK_TIMER],
  ['box-status.service', BOX_STATUS_SERVICE],
  ['box-status.timer', BOX_STATUS_TIMER],
];

describe('the backup and edge-check units', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pillbox-units-'));
    // systemd-analyze checks that ExecStart= programs exist: the script stands at a local path.
    for (const program of ['pillbox-backup', 'pillbox-edge-site', 'pillbox-box-status']) {
      writeFileSync(join(dir, program), '#!/bin/sh\n');
      chmodSync(join(dir, program), 0o755);
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function render(edit: (text: string) => string = (t) => t): string[] {
    const values = {
      ...placeholders({ env: 'dev', region: 'eu-west-1', allowedCidr: '203.0.113.7/32', accountId: '123456789012', gitSha: 'a'.repeat(40), source: { key: 'k', sha256: 'b'.repeat(64) }, expiresAt: new Date('2026-11-22T06:30:00Z') }),
      BACKUP_BIN: join(dir, 'pillbox-backup'),
      EDGE_SITE_BIN: join(dir, 'pillbox-edge-site'),
      BOX_STATUS_BIN: join(dir, 'pillbox-box-status'),
    };
    return UNITS.map(([file, unit]) => {
      writeFileSync(join(dir, unit), edit(fillPlaceholders(readFileSync(`${CLOUD_INIT_DIR}${file}`, 'utf8'), values, file)));
      return join(dir, unit);
    });
  }

  const verify = (files: string[]) => execFileSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('pass systemd-analyze verify', () => {
    expect(() => verify(render())).not.to.throw();
  });

  it('are refused by systemd-analyze when broken (the validator really runs)', () => {
    expect(() => verify(render((t) => t.replace(/^OnCalendar=.*$/m, 'OnCalendar=every full moon')))).to.throw(/calendar/);
  });

  it('start the service the timer is named after, nightly, persistently, with a bounded run', () => {
    const [service, timer] = render().map((f) => readFileSync(f, 'utf8'));
    expect(BACKUP_TIMER.replace(/\.timer$/, '.service')).to.equal(BACKUP_SERVICE);
    expect(timer).to.match(/^Persistent=true$/m);
    expect(timer).to.match(/^RandomizedDelaySec=30min$/m);
    expect(service).to.match(/^Type=oneshot$/m);
    expect(service).to.match(/^TimeoutStartSec=1h$/m);
    expect(service).to.match(/^After=pillbox\.service$/m);
  });
});
