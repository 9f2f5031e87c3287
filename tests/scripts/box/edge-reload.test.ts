import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CADDY_RELOAD, edgeRangeCommand, edgeReloadCommand } from '../../../scripts/lib/box/edge-reload.js';
import { COMPOSE } from '../fakes/swap-steps.js';

describe('reloading the edge in place', () => {
  it('pipes the active release\'s Caddyfile into `caddy reload` in the container', () => {
    expect(edgeReloadCommand().join(' ')).to.equal(`sh -c file=$1; shift; "$@" <"$file" sh /opt/pillbox/compose/caddy/Caddyfile ${COMPOSE} exec -T caddy ${CADDY_RELOAD.join(' ')}`);
  });

  describe('a new allowed range on a running box', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pillbox-range-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('gives the range to the reload, through exec --env', () => {
      const argv = edgeRangeCommand('198.51.100.0/24');
      expect(argv.slice(4, 7)).to.deep.equal(['/etc/pillbox/pillbox.env', '198.51.100.0/24', '/opt/pillbox/compose/caddy/Caddyfile']);
      expect(argv.slice(7).join(' ')).to.equal(`${COMPOSE} exec -T --env PILLBOX_ALLOWED_CIDR=198.51.100.0/24 caddy ${CADDY_RELOAD.join(' ')}`);
    });

    it('replaces the range line of the settings (kept 0644), keeps every other line, then runs the reload with the Caddyfile on stdin, run for real', () => {
      const settings = join(dir, 'pillbox.env');
      const caddyfile = join(dir, 'Caddyfile');
      writeFileSync(settings, 'PILLBOX_ENV=dev\nPILLBOX_ALLOWED_CIDR=203.0.113.7/32\nPILLBOX_SITE=203.0.113.10\n');
      writeFileSync(caddyfile, '{\n\tadmin 127.0.0.1:2019\n}\n');
      // The reload stood in for by `cat`, which shows what it read on stdin.
      const [shell, ...args] = [...edgeRangeCommand('198.51.100.0/24', settings, caddyfile).slice(0, 7), 'cat'];
      const stdout = execFileSync(shell!, args, { encoding: 'utf8' });
      expect(stdout).to.equal('{\n\tadmin 127.0.0.1:2019\n}\n');
      expect(readFileSync(settings, 'utf8')).to.equal('PILLBOX_ENV=dev\nPILLBOX_SITE=203.0.113.10\nPILLBOX_ALLOWED_CIDR=198.51.100.0/24\n');
      expect(statSync(settings).mode & 0o777).to.equal(0o644);
    });
  });
});
