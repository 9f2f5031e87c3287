import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { edgeReloadCommand } from '../../../scripts/lib/box/edge-reload.js';
import { APP_COLORS } from '../../../scripts/lib/deploy/blue-green.js';
import {
  changedInputsCommand,
  EDGE_CONFIG,
  INFRA_SERVICES,
  infrastructureBudgetSeconds,
  infrastructureSteps,
  MODEL_INPUTS,
  parseChangedInputs,
  planInfrastructure,
  WATCHED_INPUTS,
} from '../../../scripts/lib/deploy/infrastructure.js';
import { loadCompose, readText } from '../../compose/compose-files.js';
import { COMPOSE } from '../fakes/swap-steps.js';

const compose = loadCompose('compose/compose.yaml');
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('deploy: the infrastructure a release changes', () => {
  describe('what each service reads from a release, against compose.yaml', () => {
    it('lists every service but the two app colors', () => {
      const others = Object.keys(compose.services).filter((s) => !(APP_COLORS as readonly string[]).includes(s));
      expect(Object.keys(INFRA_SERVICES).sort()).to.deep.equal(others.sort());
    });

    it("lists each service's bind-mounted release files (PostgreSQL's first-init scripts aside)", () => {
      for (const [name, service] of Object.entries(compose.services)) {
        if ((APP_COLORS as readonly string[]).includes(name)) continue;
        const mounts = (service.volumes ?? [])
          .map((v) => v.split(':'))
          .filter(([source, target]) => source!.startsWith('.') && !target!.startsWith('/docker-entrypoint-initdb.d/'))
          .map(([source]) => posix.normalize(`compose/${source}`));
        expect(INFRA_SERVICES[name]?.mounts, name).to.deep.equal(mounts);
      }
    });

    it("covers every file the set-up image copies from the build context (elk/setup/Dockerfile's COPY lines)", () => {
      const sources = [...readText('elk/setup/Dockerfile').matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
      expect(sources.length).to.be.greaterThan(3);
      for (const [name, service] of Object.entries(compose.services)) {
        if (!service.build || (APP_COLORS as readonly string[]).includes(name)) continue;
        for (const source of sources) expect(INFRA_SERVICES[name]!.build.some((p) => source === p || source.startsWith(`${p}/`)), `${name}: ${source}`).to.equal(true);
      }
    });
  });

  describe('comparing two releases on the box', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pillbox-releases-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const write = (sha: string, path: string, text: string) => {
      mkdirSync(dirname(join(dir, sha, path)), { recursive: true });
      writeFileSync(join(dir, sha, path), text);
    };

    it('sends one script with both release folders and every watched path', () => {
      const argv = changedInputsCommand(A, B);
      expect(argv.slice(3, 5)).to.deep.equal(['sh', `/var/lib/pillbox/releases/${A}`]);
      expect(argv.slice(5)).to.deep.equal([`/var/lib/pillbox/releases/${B}`, ...WATCHED_INPUTS]);
      expect(WATCHED_INPUTS).to.include.members([...MODEL_INPUTS, EDGE_CONFIG, 'elk/setup', 'elk/heartbeat/heartbeat.yml']);
      expect(new Set(WATCHED_INPUTS).size).to.equal(WATCHED_INPUTS.length);
    });

    it('prints exactly the paths whose files differ, a folder by any file under it, run for real', () => {
      for (const sha of [A, B]) {
        write(sha, 'compose/compose.yaml', 'services: {}\n');
        write(sha, 'elk/kibana/kibana.yml', 'server.name: kibana\n');
        write(sha, 'elk/setup/src/index.ts', 'export {};\n');
      }
      write(B, 'elk/kibana/kibana.yml', 'server.name: kibana\nlogging.root.level: warn\n');
      write(B, 'elk/setup/src/roles.ts', 'export const roles = [];\n');
      write(B, 'compose/caddy/Caddyfile', '{\n}\n');
      const out = execFileSync(changedInputsCommand(A, B, dir)[0]!, changedInputsCommand(A, B, dir).slice(1), { encoding: 'utf8' });
      expect(parseChangedInputs(out)).to.deep.equal(['elk/setup', 'elk/kibana/kibana.yml', 'compose/caddy/Caddyfile']);
    });

    it('rejects an answer naming a path it did not ask about', () => {
      expect(() => parseChangedInputs('compose/compose.yaml\n/etc/passwd\n')).to.throw(/unexpected answer from the box/);
    });
  });

  describe('the plan', () => {
    it('changes nothing when nothing the infrastructure reads changed', () => {
      expect(infrastructureSteps(planInfrastructure([]))).to.deep.equal([]);
    });

    it('reloads the edge in place for a Caddyfile change, and touches no backend', () => {
      expect(planInfrastructure([EDGE_CONFIG])).to.deep.equal({ build: [], recreate: [], converge: false, edge: { converge: false, reload: true } });
      expect(infrastructureSteps(planInfrastructure([EDGE_CONFIG])).map((s) => s.argv)).to.deep.equal([edgeReloadCommand()]);
    });

    it('recreates the services mounting a changed file, rebuilds both set-up images for a set-up change, then converges the backends', () => {
      const plan = planInfrastructure(['elk/heartbeat/heartbeat.yml', 'package-lock.json']);
      expect(plan).to.deep.equal({ build: ['setup', 'kibana-setup'], recreate: ['heartbeat-setup', 'heartbeat'], converge: true, edge: { converge: false, reload: false } });
    });

    it('sends exact commands, backends first and the edge last', () => {
      const lines = infrastructureSteps(planInfrastructure(WATCHED_INPUTS)).map((s) => s.argv.join(' '));
      expect(lines).to.deep.equal([
        `${COMPOSE} build setup kibana-setup`,
        `${COMPOSE} up --detach --no-deps --force-recreate elasticsearch kibana apm-server heartbeat-setup heartbeat`,
        `${COMPOSE} up --detach --wait --wait-timeout 600 postgres elasticsearch setup kibana kibana-setup apm-server heartbeat-setup heartbeat`,
        `${COMPOSE} up --detach --wait --no-deps caddy`,
        `sh -c file=$1; shift; "$@" <"$file" sh /opt/pillbox/compose/caddy/Caddyfile ${COMPOSE} exec -T caddy caddy reload --config - --adapter caddyfile`,
      ]);
    });

    it('budgets every step at its own limit: the deploy budget counts them all', () => {
      expect(infrastructureBudgetSeconds()).to.equal(600 + 180 + 660 + 120 + 60);
    });
  });
});
