import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { edgeReloadCommand } from '../../../scripts/lib/box/edge-reload.js';
import { APP_COLORS } from '../../../scripts/lib/deploy/blue-green.js';
import {
  changedInputsCommand,
  needsModels,
  parseReleaseModels,
  recordAppliedCommand,
  releaseModelsCommand,
  type ReleaseModels,
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

    it('sends one script with the record, the fallback, the releases folder, the new release and every watched path', () => {
      const argv = changedInputsCommand(A, B);
      expect(argv.slice(3)).to.deep.equal(['sh', '/var/lib/pillbox/infrastructure.commit', A, '/var/lib/pillbox/releases', B, ...WATCHED_INPUTS]);
      expect(WATCHED_INPUTS).to.include.members([...MODEL_INPUTS, EDGE_CONFIG, 'elk/setup', 'elk/heartbeat/heartbeat.yml']);
      expect(new Set(WATCHED_INPUTS).size).to.equal(WATCHED_INPUTS.length);
    });

    const compare = (fallback: string, to: string) => {
      const argv = changedInputsCommand(fallback, to, { releases: dir, record: join(dir, 'applied') });
      return parseChangedInputs(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }));
    };

    it('prints exactly the paths whose files differ, a folder by any file under it, run for real', () => {
      for (const sha of [A, B]) {
        write(sha, 'compose/compose.yaml', 'services: {}\n');
        write(sha, 'elk/kibana/kibana.yml', 'server.name: kibana\n');
        write(sha, 'elk/setup/src/index.ts', 'export {};\n');
      }
      write(B, 'elk/kibana/kibana.yml', 'server.name: kibana\nlogging.root.level: warn\n');
      write(B, 'elk/setup/src/roles.ts', 'export const roles = [];\n');
      write(B, 'compose/caddy/Caddyfile', '{\n}\n');
      expect(compare(A, B)).to.deep.equal({ from: A, paths: ['elk/setup', 'elk/kibana/kibana.yml', 'compose/caddy/Caddyfile'] });
    });

    it('compares with the release last applied when one is recorded, so a failed apply is retried by the next deploy, run for real', () => {
      const C = 'c'.repeat(40);
      write(A, 'compose/caddy/Caddyfile', 'old\n');
      write(B, 'compose/caddy/Caddyfile', 'new\n');
      write(C, 'compose/caddy/Caddyfile', 'new\n');
      expect(compare(B, C), 'no record: the previous release').to.deep.equal({ from: B, paths: [] });
      const record = recordAppliedCommand(A, join(dir, 'applied'));
      execFileSync(record[0]!, record.slice(1));
      expect(readFileSync(join(dir, 'applied'), 'utf8')).to.equal(`${A}\n`);
      expect(compare(B, C), 'A was the last applied').to.deep.equal({ from: A, paths: ['compose/caddy/Caddyfile'] });
      writeFileSync(join(dir, 'applied'), 'garbage\n');
      expect(compare(B, C).from, 'a record naming no commit is ignored').to.equal(B);
    });

    it('counts every file of a release no longer on the box as changed', () => {
      write(B, 'compose/compose.yaml', 'services: {}\n');
      expect(compare(A, B).paths).to.deep.equal(['compose/compose.yaml']);
    });

    it('rejects an answer naming a path it did not ask about', () => {
      expect(() => parseChangedInputs(`from ${A}\ncompose/compose.yaml\n/etc/passwd\n`)).to.throw(/unexpected answer from the box/);
      expect(() => parseChangedInputs('compose/compose.yaml\n')).to.throw(/unexpected answer from the box/);
    });
  });

  describe('the plan', () => {
    const ENV = { PILLBOX_SITE: '${PILLBOX_SITE:-localhost}', GOMEMLIMIT: '64MiB' };
    const model = (caddy: Record<string, unknown> = {}, postgres = 'p1'): ReleaseModels => ({ caddy: { image: 'caddy:2.11.4-alpine', environment: ENV, ports: [{ target: 80 }], ...caddy }, postgres });

    it('changes nothing when nothing the infrastructure reads changed', () => {
      expect(infrastructureSteps(planInfrastructure([]))).to.deep.equal([]);
    });

    it('reloads the edge in place for a Caddyfile change, with the new release\'s environment, and touches no backend', () => {
      const plan = planInfrastructure([EDGE_CONFIG], { from: model(), to: model() });
      expect(plan).to.deep.equal({ build: [], recreate: [], converge: false, reload: { env: ENV }, notes: [] });
      expect(infrastructureSteps(plan).map((s) => s.argv)).to.deep.equal([edgeReloadCommand(undefined, ENV)]);
      expect(needsModels([EDGE_CONFIG])).to.equal(true);
      expect(needsModels(['elk/kibana/kibana.yml'])).to.equal(false);
    });

    it('recreates the services mounting a changed file, rebuilds both set-up images for a set-up change, then converges the Elastic services', () => {
      const plan = planInfrastructure(['elk/heartbeat/heartbeat.yml', 'package-lock.json']);
      expect(plan).to.deep.equal({ build: ['setup', 'kibana-setup'], recreate: ['heartbeat-setup', 'heartbeat'], converge: true, notes: [] });
    });

    it('never names Filebeat, whose profile only 8 GiB boxes start (compose would start it anywhere it is named): its change waits for the next start', () => {
      const plan = planInfrastructure(['elk/filebeat/filebeat.yml']);
      expect(plan.recreate).to.deep.equal([]);
      expect(plan.notes).to.deep.equal(["filebeat changed: applied at the stack's next start (`sudo systemctl restart pillbox.service`), on a box whose type runs it."]);
      for (const step of infrastructureSteps(planInfrastructure(WATCHED_INPUTS))) expect(step.argv, step.what).to.not.include('filebeat');
    });

    it('never recreates the edge: a new environment is reloaded in place, with the new values', () => {
      const to = model({ environment: { ...ENV, PILLBOX_ALLOWED_CIDR: '${PILLBOX_ALLOWED_CIDR:?}' } });
      const plan = planInfrastructure(['compose/compose.yaml'], { from: model(), to });
      expect(plan.reload).to.deep.equal({ env: to.caddy['environment'] });
      expect(plan.notes).to.deep.equal([]);
      const lines = infrastructureSteps(plan).map((s) => s.argv.join(' '));
      expect(lines.filter((l) => / up .*caddy/.test(l))).to.deep.equal([]);
      expect(lines.at(-1)).to.contain(`exec -T --env PILLBOX_SITE=\${PILLBOX_SITE:-localhost} --env GOMEMLIMIT=64MiB --env PILLBOX_ALLOWED_CIDR=\${PILLBOX_ALLOWED_CIDR:?} caddy caddy reload`);
    });

    it('never recreates the edge for an image bump or another model change: one line says it applies at the next restart', () => {
      const plan = planInfrastructure(['compose/.env'], { from: model(), to: model({ image: 'caddy:2.11.5-alpine' }) });
      expect(plan.reload, 'the environment is the same').to.equal(undefined);
      expect(plan.notes).to.deep.equal(['caddy changed (image caddy:2.11.4-alpine → caddy:2.11.5-alpine): applied at the next `sudo systemctl restart pillbox.service`; a deploy never recreates the edge, which would drop ports 80 and 443.']);
      const ports = planInfrastructure(['compose/compose.yaml'], { from: model(), to: model({ ports: [{ target: 8443 }] }) });
      expect(ports.notes[0]).to.match(/^caddy changed \(its image, ports or limits may differ\): applied at the next /);
      for (const p of [plan, ports]) expect(infrastructureSteps(p).map((s) => s.argv.join(' ')).filter((l) => l.includes('caddy'))).to.deep.equal([]);
    });

    it('leaves PostgreSQL out of the converge, and says a change to it applies at the next restart, after a backup', () => {
      const plan = planInfrastructure(['compose/.env'], { from: model(), to: model({}, 'p2') });
      expect(plan.notes).to.deep.equal(['postgres changed: applied at the next restart (`sudo systemctl restart pillbox.service`), after `npm run backup`.']);
      const lines = infrastructureSteps(plan).map((s) => s.argv.join(' '));
      expect(lines).to.deep.equal([`${COMPOSE} up --detach --wait --wait-timeout 600 elasticsearch setup kibana kibana-setup apm-server heartbeat-setup heartbeat elastalert`]);
      expect(planInfrastructure(['compose/.env'], { from: model(), to: model() }).notes, 'unchanged').to.deep.equal([]);
    });

    it('treats a release gone from the box as different in everything: reload with the new environment, both lines', () => {
      const plan = planInfrastructure(['compose/compose.yaml'], { to: model() });
      expect(plan.reload).to.deep.equal({ env: ENV });
      expect(plan.notes.map((n) => n.split(' ')[0])).to.deep.equal(['caddy', 'postgres']);
    });

    it('sends exact commands, backends first and the edge last, never `up` for caddy or postgres', () => {
      const lines = infrastructureSteps(planInfrastructure(WATCHED_INPUTS)).map((s) => s.argv.join(' '));
      expect(lines).to.deep.equal([
        `${COMPOSE} build setup kibana-setup`,
        `${COMPOSE} up --detach --no-deps --force-recreate elasticsearch kibana apm-server heartbeat-setup heartbeat elastalert`,
        `${COMPOSE} up --detach --wait --wait-timeout 600 elasticsearch setup kibana kibana-setup apm-server heartbeat-setup heartbeat elastalert`,
        `sh -c file=$1; shift; "$@" <"$file" sh /opt/pillbox/compose/caddy/Caddyfile ${COMPOSE} exec -T caddy caddy reload --config - --adapter caddyfile`,
      ]);
    });

    it('budgets every step at its own limit: the deploy budget counts them all', () => {
      expect(infrastructureBudgetSeconds()).to.equal(600 + 180 + 660 + 60);
    });
  });

  describe("reading a release's edge and database models on the box", () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pillbox-models-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("runs compose on that release's own files with the box's settings and secrets", () => {
      const argv = releaseModelsCommand(A);
      expect(argv.slice(3).join(' ')).to.equal(
        `sh /var/lib/pillbox/releases/${A} docker compose --project-directory /var/lib/pillbox/releases/${A}/compose --file /var/lib/pillbox/releases/${A}/compose/compose.yaml --env-file /var/lib/pillbox/releases/${A}/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env`,
      );
    });

    it('prints the caddy service as compose renders it and the database hash, or "missing", run for real with a stand-in compose', () => {
      const compose = join(dir, 'compose');
      // compose v5.1.0 prints the project as indented JSON for `config --format json`, and "<service> <hash>" for --hash.
      writeFileSync(compose, `#!/bin/sh\ncase "$*" in *"config --format json caddy") printf '{\\n  "name": "pillbox",\\n  "services": {\\n    "caddy": {"image": "caddy:2.11.4-alpine", "environment": {"GOMEMLIMIT": "64MiB"}}\\n  }\\n}\\n' ;; *"config --hash postgres") echo "postgres 1a2b" ;; *) exit 9 ;; esac\n`, { mode: 0o755 });
      const run = (sha: string) => {
        const argv = releaseModelsCommand(sha, dir);
        return parseReleaseModels(execFileSync(argv[0]!, [...argv.slice(1, 5), compose], { encoding: 'utf8' }));
      };
      expect(run(A)).to.equal(undefined);
      mkdirSync(join(dir, B, 'compose'), { recursive: true });
      writeFileSync(join(dir, B, 'compose', 'compose.yaml'), 'name: pillbox\n');
      expect(run(B)).to.deep.equal({ caddy: { image: 'caddy:2.11.4-alpine', environment: { GOMEMLIMIT: '64MiB' } }, postgres: '1a2b' });
    });
  });
});
