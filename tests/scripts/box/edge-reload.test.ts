import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CADDY_RELOAD, edgeRangeCommand, edgeReloadCommand, parseRangeOutcome } from '../../../scripts/lib/box/edge-reload.js';
import { COMPOSE } from '../fakes/swap-steps.js';

describe('reloading the edge in place', () => {
  it('pipes the active release\'s Caddyfile into `caddy reload` in the container', () => {
    expect(edgeReloadCommand().join(' ')).to.equal(`sh -c file=$1; shift; "$@" <"$file" sh /opt/pillbox/compose/caddy/Caddyfile ${COMPOSE} exec -T caddy ${CADDY_RELOAD.join(' ')}`);
  });

  describe('a new allowed range on a running box', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pillbox-range-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('sends the settings, the range and the Caddyfile, then the stack\'s own compose invocation', () => {
      const argv = edgeRangeCommand('198.51.100.0/24');
      expect(argv.slice(4, 7)).to.deep.equal(['/etc/pillbox/pillbox.env', '198.51.100.0/24', '/opt/pillbox/compose/caddy/Caddyfile']);
      expect(argv.slice(7).join(' ')).to.equal(COMPOSE);
    });

    // A stand-in for `docker compose`: logs each call with the range compose would interpolate, answers `ps` with a
    // container id when `running`, and fails `exec` when `reloadFails`.
    function runRange(cidr: string, { running, reloadFails = false }: { running: boolean; reloadFails?: boolean }) {
      const settings = join(dir, 'pillbox.env');
      const caddyfile = join(dir, 'Caddyfile');
      const log = join(dir, 'calls');
      writeFileSync(caddyfile, '{\n\tadmin 127.0.0.1:2019\n}\n');
      const compose = join(dir, 'compose');
      writeFileSync(
        compose,
        [
          '#!/bin/sh',
          `echo "$* range=$PILLBOX_ALLOWED_CIDR" >>${log}`,
          `case "$1" in ps) ${running ? 'echo c0ffee' : 'true'} ;; exec) cat >>${log}; ${reloadFails ? 'echo "Error: loading new config: adapting config" >&2; exit 1' : 'true'} ;; esac`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      const [shell, ...args] = [...edgeRangeCommand(cidr, settings, caddyfile).slice(0, 7), compose];
      const result = spawnSync(shell!, args, { encoding: 'utf8', env: { PATH: process.env.PATH } });
      const calls = existsSync(log) ? readFileSync(log, 'utf8') : '';
      return { status: result.status, outcome: result.status === 0 ? parseRangeOutcome(result.stdout) : undefined, stderr: result.stderr, calls, settings: () => readFileSync(settings, 'utf8') };
    }
    const seed = (text: string) => writeFileSync(join(dir, 'pillbox.env'), text);

    it('reloads the running edge with the range, then writes the settings line (kept 0644), keeping every other line, run for real', () => {
      seed('PILLBOX_ENV=dev\nPILLBOX_SITE=203.0.113.10\n');
      const run = runRange('198.51.100.0/24', { running: true });
      expect(run.outcome).to.equal('reloaded');
      expect(run.calls).to.equal(
        [
          'ps --status running --quiet caddy range=198.51.100.0/24',
          `exec -T --env PILLBOX_ALLOWED_CIDR=198.51.100.0/24 caddy ${CADDY_RELOAD.join(' ')} range=198.51.100.0/24`,
          '{\n\tadmin 127.0.0.1:2019\n}\n',
        ].join('\n'),
      );
      expect(run.settings()).to.equal('PILLBOX_ENV=dev\nPILLBOX_SITE=203.0.113.10\nPILLBOX_ALLOWED_CIDR=198.51.100.0/24\n');
      expect(statSync(join(dir, 'pillbox.env')).mode & 0o777).to.equal(0o644);
    });

    it('does nothing when the settings already say the range', () => {
      seed('PILLBOX_ALLOWED_CIDR=198.51.100.0/24\n');
      const run = runRange('198.51.100.0/24', { running: true });
      expect(run.outcome).to.equal('unchanged');
      expect(run.calls).to.equal('');
    });

    it('replaces another range; a stopped edge gets the settings only', () => {
      seed('PILLBOX_ALLOWED_CIDR=203.0.113.7/32\nPILLBOX_SITE=203.0.113.10\n');
      const run = runRange('198.51.100.0/24', { running: false });
      expect(run.outcome).to.equal('written');
      expect(run.calls).to.equal('ps --status running --quiet caddy range=198.51.100.0/24\n');
      expect(run.settings()).to.equal('PILLBOX_SITE=203.0.113.10\nPILLBOX_ALLOWED_CIDR=198.51.100.0/24\n');
    });

    it('leaves the settings as they were when the reload fails, so the next run tries again', () => {
      seed('PILLBOX_SITE=203.0.113.10\n');
      const run = runRange('198.51.100.0/24', { running: true, reloadFails: true });
      expect(run.status).to.equal(1);
      expect(run.stderr).to.contain('Error: loading new config');
      expect(run.settings()).to.equal('PILLBOX_SITE=203.0.113.10\n');
      expect(readdirSync(dir).filter((f) => f.startsWith('pillbox.env.')), 'no temporary file left').to.deep.equal([]);
    });
  });
});
