import { expect } from 'chai';
import { parse } from 'yaml';
import { ELASTIC_PASSWORD_FILE } from '../../scripts/lib/box/layout.js';
import { APP_BUILDER, BUILT_APP_IMAGE } from '../../scripts/lib/deploy/plan.js';
import { ALERT_SERVICE } from '../../scripts/lib/deploy/alerts-pause.js';
import { LOGS_MIN_MEMORY_GIB, LOGS_PROFILE } from '../../scripts/lib/box/stack-profiles.js';
import {
  dependenciesOf,
  grantedSecrets,
  interpolate,
  isOneShot,
  loadCompose,
  mebibytes,
  parseEnvFile,
  readText,
  referencedVariables,
  seconds,
  type Service,
} from './compose-files.js';

const compose = loadCompose('compose/compose.yaml');
const dev = loadCompose('compose/compose.dev.yaml');
const pinned = parseEnvFile(readText('compose/.env'));
const services = Object.entries(compose.services);
// Filebeat runs on 8 GiB types only (scripts/lib/box/stack-profiles.ts): the t3.medium budget leaves it out.
const onLargeTypesOnly = (s: Service) => s.profiles?.includes(LOGS_PROFILE) === true;
const longRunning = services.filter(([, s]) => !isOneShot(s));
const oneShots = services.filter(([, s]) => isOneShot(s));
// The second app color runs only while a deploy swaps the app; `up` never starts it.
const DURING_DEPLOY_ONLY = 'app-next';

// t3.medium MemTotal: 4 GiB nominal less what firmware and the kernel keep. Karpenter measured the gap on a
// booted t3.medium as 264,945,664 bytes (aws/karpenter-provider-aws, pkg/providers/instancetype/
// zz_generated.memory_overhead.go, from kubelet capacity = MemTotal, on Bottlerocket, the AMI with the largest gap).
const T3_MEDIUM_MEMTOTAL_MIB = Math.floor((4 * 1024 ** 3 - 264_945_664) / 1024 ** 2);
// An 8 GiB type, estimated with twice the t3.medium's gap (the kernel's share grows with memory); not measured.
const EIGHT_GIB_MEMTOTAL_MIB = Math.floor((LOGS_MIN_MEMORY_GIB * 1024 ** 3 - 2 * 264_945_664) / 1024 ** 2);
// dockerd, containerd, one shim per container, the SSM agent, the rest of Amazon Linux 2023, and page cache.
const HOST_RESERVE_MIB = 512;
// Services that converge something, then idle; their healthcheck proves the work is done, not that a port answers.
const CONVERGE_THEN_IDLE = ['kibana-setup'];

const limitOf = (s: Service) => mebibytes(s.deploy?.resources?.limits?.memory ?? '0m');
const option = (args: string, flag: RegExp) => args.match(flag)?.[1];

/**
 * The budget as the README table states it, at its two peaks. At rest (boot included): every long-running limit
 * but app-next's, plus the one set-up job that runs at a time. During a deploy: no set-up job, and first the app
 * build in its capped builder, then (the builder stopped) both app colors.
 */
function memoryBudget({ withLogs }: { withLogs: boolean }) {
  const sum = (entries: [string, Service][]) => entries.reduce((total, [, s]) => total + limitOf(s), 0);
  const running = longRunning.filter(([, s]) => withLogs || !onLargeTypesOnly(s));
  const atRestServices = running.filter(([name]) => name !== DURING_DEPLOY_ONLY);
  const largestOneShot = Math.max(...oneShots.map(([, s]) => limitOf(s)));
  // A deploy stops the alert engine for its build and swap (scripts/lib/deploy/alerts-pause.ts).
  const deploying = running.filter(([name]) => name !== ALERT_SERVICE);
  const build = sum(deploying.filter(([name]) => name !== DURING_DEPLOY_ONLY)) + mebibytes(APP_BUILDER.memory);
  const swap = sum(deploying);
  return { atRest: sum(atRestServices) + largestOneShot, duringDeploy: Math.max(build, swap), largestOneShot };
}

// Elasticsearch's native memory beside heap and direct memory (metaspace, code cache, thread stacks, GC structures).
const JVM_NATIVE_MIB = 200;
// The least of Elasticsearch's limit that must stay for Lucene's file cache.
const ES_FILE_CACHE_MIB = 128;
// The least page cache the host keeps at either peak, after its itemised processes.
const HOST_PAGE_CACHE_MIB = 64;

describe('compose.yaml invariants', () => {
  it('is the pillbox project, with the services the design names', () => {
    expect(compose.name).to.equal('pillbox');
    expect(Object.keys(compose.services)).to.include.members(['app', 'app-next', 'caddy', 'postgres', 'elasticsearch', 'kibana', 'apm-server', 'heartbeat', 'setup']);
  });

  describe('pinned images', () => {
    it('pins the Elastic Stack to one exact 9.5 patch, in compose/.env only', () => {
      expect(pinned['ELASTIC_VERSION']).to.match(/^9\.5\.\d+$/);
      const elastic = services.filter(([, s]) => s.image?.startsWith('docker.elastic.co/'));
      expect(elastic.map(([n]) => n)).to.include.members(['elasticsearch', 'kibana', 'apm-server', 'heartbeat']);
      for (const [name, s] of elastic) expect(s.image, name).to.match(/:\$\{ELASTIC_VERSION(:\?[^}]*)?\}$/);
      for (const file of ['compose/compose.yaml', 'compose/compose.dev.yaml']) expect(readText(file)).to.not.match(/9\.5\.\d/);
    });

    it('pins PostgreSQL 17 to an exact minor', () => {
      expect(interpolate(compose.services['postgres']?.image ?? '', pinned)).to.match(/^postgres:17\.\d+-bookworm$/);
    });

    it('pins Caddy to an exact release of the official image, 2.11.3 or later (IP certificates: caddyserver/caddy#7399)', () => {
      const tag = interpolate(compose.services['caddy']?.image ?? '', pinned);
      const m = tag.match(/^caddy:(\d+)\.(\d+)\.(\d+)-alpine$/);
      expect(m, tag).to.not.equal(null);
      const [major, minor, patch] = (m as RegExpMatchArray).slice(1).map(Number) as [number, number, number];
      expect(major * 1e6 + minor * 1e3 + patch).to.be.at.least(2_011_003);
    });

    it('runs app-next on the image compose builds for app, never pulled', () => {
      const next = compose.services['app-next'] as Service;
      expect(interpolate(next.image ?? '', pinned)).to.equal(BUILT_APP_IMAGE);
      expect(next.pull_policy).to.equal('never');
      expect(next.build).to.equal(undefined);
    });

    it('resolves every image to an exact tag, never latest or a bare major', () => {
      for (const [name, s] of [...services, ['app (dev)', dev.services['app'] as Service] as const]) {
        if (name === DURING_DEPLOY_ONLY) continue;
        if (s.image === undefined) {
          expect(s.build, `${name} has neither image nor build`).to.not.equal(undefined);
          continue;
        }
        const tag = interpolate(s.image, pinned).split(':').at(-1) ?? '';
        expect(tag, `${name}: ${s.image}`).to.match(/^\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?$/);
      }
    });
  });

  describe('long-running services', () => {
    for (const [name, s] of longRunning) {
      it(`${name} restarts, logs to capped json-file, and has a memory limit and a serving healthcheck`, () => {
        expect(s.restart).to.equal('unless-stopped');
        expect(s.logging?.driver).to.equal('json-file');
        expect(s.logging?.options).to.include.keys('max-size', 'max-file');
        expect(limitOf(s)).to.be.greaterThan(0);
        const test = [s.healthcheck?.test ?? []].flat().join(' ');
        expect(test).to.not.equal('');
        expect(test).to.not.match(/^NONE/);
        // Proving it serves means talking to its port, not finding a process.
        expect(test).to.match(CONVERGE_THEN_IDLE.includes(name) ? /\.done$/ : /https?:\/\/|\/dev\/tcp\/|pg_isready/);
      });
    }
  });

  describe('start-up order', () => {
    it('waits for a long-running dependency to be healthy and for a one-shot to complete', () => {
      for (const [name, s] of services) {
        for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
          const target = compose.services[dep];
          expect(target, `${name} depends on unknown ${dep}`).to.not.equal(undefined);
          const expected = isOneShot(target as Service) ? 'service_completed_successfully' : 'service_healthy';
          expect(condition, `${name} → ${dep}`).to.equal(expected);
        }
      }
    });

    it('starts the app on a healthy PostgreSQL alone: a slow or broken Elasticsearch never keeps the service down', () => {
      expect(compose.services['app']?.depends_on).to.deep.equal({ postgres: { condition: 'service_healthy' } });
      expect([...dependenciesOf(compose, 'app')]).to.deep.equal(['postgres']);
    });

    it('starts Kibana only after setup has set its password', () => {
      expect(compose.services['kibana']?.depends_on).to.deep.include({ setup: { condition: 'service_completed_successfully' } });
    });

    it('never makes Heartbeat wait for Kibana, directly or through a set-up job: it monitors Kibana', () => {
      expect([...dependenciesOf(compose, 'heartbeat')]).to.not.include.members(['kibana', 'kibana-setup']);
    });

    it('has every one-shot awaited by some service, so `up --wait` accepts its exit (docker/compose start.go)', () => {
      for (const [name] of oneShots) {
        const adopters = services.filter(([, s]) => s.depends_on?.[name]?.condition === 'service_completed_successfully');
        expect(adopters.length, `${name} is awaited by no service`).to.be.greaterThan(0);
      }
    });

    it('runs the set-up jobs one at a time, so start-up needs room for the largest of them only', () => {
      const jobs = [...oneShots.map(([n]) => n), ...CONVERGE_THEN_IDLE];
      for (const a of jobs) {
        for (const b of jobs.filter((n) => n < a)) {
          const ordered = dependenciesOf(compose, a).has(b) || dependenciesOf(compose, b).has(a);
          expect(ordered, `${a} and ${b} may run at the same time`).to.equal(true);
        }
      }
    });
  });

  describe(`memory budget for a t3.medium (MemTotal ${T3_MEDIUM_MEMTOTAL_MIB} MiB)`, () => {
    const budget = memoryBudget({ withLogs: false });
    const full = memoryBudget({ withLogs: true });

    it(`keeps Filebeat off a t3.medium: with it the host would keep less than ${HOST_RESERVE_MIB} MiB during a deploy`, () => {
      expect(services.filter(([, s]) => onLargeTypesOnly(s)).map(([n]) => n)).to.deep.equal(['filebeat']);
      expect(T3_MEDIUM_MEMTOTAL_MIB - full.duringDeploy).to.be.below(HOST_RESERVE_MIB);
    });

    it(`leaves the host at least ${HOST_RESERVE_MIB} MiB with Filebeat on an ${LOGS_MIN_MEMORY_GIB} GiB type, at rest and during a deploy`, () => {
      expect(EIGHT_GIB_MEMTOTAL_MIB - full.atRest).to.be.at.least(HOST_RESERVE_MIB);
      expect(EIGHT_GIB_MEMTOTAL_MIB - full.duringDeploy).to.be.at.least(HOST_RESERVE_MIB);
    });

    it(`stops the alert engine for a deploy's build and swap: running, it would leave the host less than ${HOST_RESERVE_MIB} MiB (compose/README.md says how much)`, () => {
      const engine = limitOf(compose.services[ALERT_SERVICE] as Service);
      expect(engine).to.be.greaterThan(0);
      const left = T3_MEDIUM_MEMTOTAL_MIB - budget.duringDeploy - engine;
      expect(left).to.be.below(HOST_RESERVE_MIB);
      expect(readText('compose/README.md')).to.include(`would otherwise leave the host ${left} MiB`);
    });

    it(`leaves the host at least ${HOST_RESERVE_MIB} MiB at rest: every long-running limit and the largest set-up job`, () => {
      expect(T3_MEDIUM_MEMTOTAL_MIB - budget.atRest).to.be.at.least(HOST_RESERVE_MIB);
    });

    it(`leaves the host at least ${HOST_RESERVE_MIB} MiB during a deploy, with both app colors running`, () => {
      expect(T3_MEDIUM_MEMTOTAL_MIB - budget.duringDeploy).to.be.at.least(HOST_RESERVE_MIB);
    });

    it('gives every service a memory limit, one-shots included', () => {
      for (const [name, s] of services) expect(limitOf(s), name).to.be.greaterThan(0);
    });

    it('makes every limit hard: memswap_limit equal to the memory limit, so no container swaps', () => {
      for (const [name, s] of services) expect(s.memswap_limit, name).to.equal(s.deploy?.resources?.limits?.memory);
    });

    it('gives both app colors one definition: the same limit, workers and settings', () => {
      const app = compose.services['app'] as Service;
      const next = compose.services['app-next'] as Service;
      expect(limitOf(app)).to.equal(320);
      expect(app.environment?.['WEB_CONCURRENCY']).to.equal('1');
      for (const key of ['environment', 'deploy', 'healthcheck', 'depends_on', 'restart', 'stop_grace_period'] as const) {
        expect(next[key], key).to.deep.equal(app[key]);
      }
    });

    it(`fixes the Elasticsearch heap at no more than half its limit, caps direct memory, leaves ${ES_FILE_CACHE_MIB} MiB or more to the file cache, and keeps it out of swap`, () => {
      const es = compose.services['elasticsearch'] as Service;
      const opts = es.environment?.['ES_JAVA_OPTS'] ?? '';
      const xms = option(opts, /-Xms(\d+[mg])/);
      const xmx = option(opts, /-Xmx(\d+[mg])/);
      const direct = option(opts, /-XX:MaxDirectMemorySize=(\d+[mg])/);
      expect(xms).to.equal(xmx);
      expect(mebibytes(xmx ?? '0m') * 2).to.be.at.most(limitOf(es));
      expect(mebibytes(direct ?? '0m'), 'MaxDirectMemorySize').to.be.within(1, mebibytes(xmx ?? '0m') / 2);
      const fileCache = limitOf(es) - mebibytes(xmx ?? '0m') - mebibytes(direct ?? '0m') - JVM_NATIVE_MIB;
      expect(fileCache, 'file cache left inside the limit').to.be.at.least(ES_FILE_CACHE_MIB);
      expect(es.memswap_limit, 'memswap_limit equal to the limit: no swap').to.equal(es.deploy?.resources?.limits?.memory);
      expect(es.ulimits?.['memlock']).to.deep.equal({ soft: -1, hard: -1 });
      expect(parse(readText('elk/elasticsearch/elasticsearch.yml'))['bootstrap.memory_lock']).to.equal(true);
    });

    it("leaves Kibana at least 384 MiB above its V8 old-space cap for its native memory", () => {
      const kibana = compose.services['kibana'] as Service;
      const heap = Number(option(kibana.environment?.['NODE_OPTIONS'] ?? '', /--max-old-space-size=(\d+)/));
      expect(heap).to.be.greaterThan(0);
      expect(limitOf(kibana) - heap).to.be.at.least(384);
    });

    it('shows the same limits and sums in the table of compose/README.md', () => {
      const readme = readText('compose/README.md');
      const row = (label: string) => readme.split('\n').find((line) => line.startsWith(`| ${label} `));
      for (const [name, s] of services) {
        expect(row(name), `README budget row for ${name}`).to.include(`| ${s.deploy?.resources?.limits?.memory} |`);
      }
      expect(row('largest set-up job')).to.include(`| ${budget.largestOneShot}m |`);
      expect(row('t3.medium MemTotal')).to.include(`${T3_MEDIUM_MEMTOTAL_MIB} MiB`);
      expect(row('**total at rest**')).to.include(`**${budget.atRest} MiB**`);
      expect(row('**host at rest**')).to.include(`**${T3_MEDIUM_MEMTOTAL_MIB - budget.atRest} MiB**`);
      expect(row('**total during a deploy**')).to.include(`**${budget.duringDeploy} MiB**`);
      expect(row('**host during a deploy**')).to.include(`**${T3_MEDIUM_MEMTOTAL_MIB - budget.duringDeploy} MiB**`);
      expect(row('app build (deploy only)')).to.include(`| ${APP_BUILDER.memory} |`);
      expect(row(`**host during a deploy with filebeat**`)).to.include(`**${T3_MEDIUM_MEMTOTAL_MIB - full.duringDeploy} MiB**`);
    });

    it(`itemises the host's share in compose/README.md (kernel, docker, shims, SSM agent, compose CLI, page cache), adding up, with ${HOST_PAGE_CACHE_MIB} MiB or more of page cache`, () => {
      const rows = readText('compose/README.md')
        .split('\n')
        .filter((line) => line.startsWith('| host: '))
        .map((line) => line.split('|').map((cell) => cell.trim()));
      const terms = rows.map((cells) => (cells[1] ?? '').replace('host: ', ''));
      for (const term of ['kernel', 'dockerd and containerd', 'container shims', 'SSM agent', 'compose CLI', 'page cache']) expect(terms).to.include(term);
      const mib = (cell: string | undefined) => Number(cell?.match(/^(\d+) MiB$/)?.[1]);
      const total = (column: number) => rows.reduce((sum, cells) => sum + mib(cells[column]), 0);
      expect(total(2), 'host terms at rest').to.equal(T3_MEDIUM_MEMTOTAL_MIB - budget.atRest);
      expect(total(3), 'host terms during a deploy').to.equal(T3_MEDIUM_MEMTOTAL_MIB - budget.duringDeploy);
      const pageCache = rows.find((cells) => cells[1] === 'host: page cache');
      expect(mib(pageCache?.[2])).to.be.at.least(HOST_PAGE_CACHE_MIB);
      expect(mib(pageCache?.[3])).to.be.at.least(HOST_PAGE_CACHE_MIB);
    });
  });

  describe('shutdown', () => {
    it('gives Elasticsearch and PostgreSQL at least 30 s to stop before SIGKILL (Docker waits 10 s by default)', () => {
      for (const name of ['elasticsearch', 'postgres']) {
        expect(seconds(compose.services[name]?.stop_grace_period ?? '0s'), name).to.be.at.least(30);
      }
    });
  });

  describe('ports', () => {
    it('publishes only Caddy to the world (80 and 443), its plain-HTTP port and Kibana to loopback; nothing else', () => {
      const published = Object.fromEntries(services.filter(([, s]) => s.ports !== undefined).map(([n, s]) => [n, s.ports]));
      expect(published).to.deep.equal({ caddy: ['0.0.0.0:80:80', '0.0.0.0:443:443', '127.0.0.1:8080:8080'], kibana: ['127.0.0.1:5601:5601'] });
      for (const [name, s] of services) expect(s.expose, name).to.equal(undefined);
    });

    it('lets the edge hand a connection queued on a listener a reload closes to the new one (tcp_migrate_req), and sets no other sysctl', () => {
      const withSysctls = Object.fromEntries(services.filter(([, s]) => s.sysctls !== undefined).map(([n, s]) => [n, s.sysctls]));
      expect(withSysctls).to.deep.equal({ caddy: { 'net.ipv4.tcp_migrate_req': 1 } });
    });

    it('keeps the dev override on loopback too', () => {
      expect(dev.services['app']?.ports).to.deep.equal(['127.0.0.1:${APP_PORT:-3000}:3000']);
    });
  });

  describe('secrets', () => {
    // The variable each optional secret is read into, and the secret it comes from.
    const OPTIONAL_SECRETS: Record<string, string> = {
      FILEBEAT_ES_PASSWORD: 'FILEBEAT_ES_PASSWORD',
      ELASTALERT_ES_PASSWORD: 'ELASTALERT_ES_PASSWORD',
      BOX_STATUS_ES_PASSWORD: 'BOX_STATUS_ES_PASSWORD',
      // The alert engine reads its password as ES_PASSWORD (ElastAlert2's own variable).
      ES_PASSWORD: 'ELASTALERT_ES_PASSWORD',
    };
    const secretName = /PASSWORD|SECRET|TOKEN|ENCRYPTION_KEY/;
    it('takes every secret from the environment, required and never literal, or from a granted secret file', () => {
      for (const [name, s] of services) {
        for (const [key, value] of Object.entries(s.environment ?? {})) {
          // The app's passwords join the current one and the optional previous one (write-credential.test.ts).
          if (!secretName.test(key) || key === 'WRITE_PASSWORDS') continue;
          if (key.endsWith('_FILE')) {
            const granted = value.match(/^\/run\/secrets\/([a-z_]+)$/)?.[1];
            expect(grantedSecrets(s), `${name}.${key} names a secret the service is granted`).to.include(granted);
            continue;
          }
          // These arrived after boxes were provisioned: optional, and checked where they are used (tests/elk).
          const optional = OPTIONAL_SECRETS[key];
          if (optional) expect(value, `${name}.${key}`).to.equal(`\${${optional}:-}`);
          else expect(value, `${name}.${key}`).to.match(/^\$\{[A-Z_]+:\?[^}]+\}$/);
        }
      }
    });

    it("gives the elastic superuser's password only to the four containers that need it, as a compose secret file", () => {
      // A file the box writes (a bind mount keeps its owner and mode), at the box layout's path unless overridden off the box.
      expect(compose.secrets?.['elastic_password']).to.deep.equal({ file: `\${PILLBOX_ELASTIC_PASSWORD_FILE:-${ELASTIC_PASSWORD_FILE}}` });
      const holders = services.filter(([, s]) => grantedSecrets(s).includes('elastic_password')).map(([n]) => n);
      expect(holders.sort()).to.deep.equal(['elasticsearch', 'heartbeat-setup', 'kibana-setup', 'setup']);
      // Never in an environment, where `docker inspect` shows it.
      for (const [name, s] of services) expect(JSON.stringify(s.environment ?? {}), name).to.not.include('ELASTIC_PASSWORD}');
    });

    it('builds DATABASE_URL for the app role from APP_DB_PASSWORD, never the superuser', () => {
      expect(compose.services['app']?.environment?.['DATABASE_URL']).to.match(/^postgres:\/\/pillbox_app:\$\{APP_DB_PASSWORD:\?[^}]+\}@postgres:5432\/pillbox$/);
    });

    it('contains no credential-looking literal anywhere in the compose files', () => {
      for (const file of ['compose/compose.yaml', 'compose/compose.dev.yaml', 'compose/compose.prebuilt.yaml']) {
        const text = readText(file);
        expect(text, file).to.not.match(/(PASSWORD|SECRET|TOKEN|KEY)\s*[:=]\s*["']?[A-Za-z0-9_-]{8,}["']?\s*$/m);
        expect(text, file).to.not.match(/:\/\/[^:/\s]+:[^$@\s]+@/);
      }
    });
  });

  it('documents every variable the compose files interpolate in .env.example', () => {
    const documented = new Set(Object.keys(parseEnvFile(readText('.env.example').replace(/^#\s*([A-Z_]+=)/gm, '$1'))));
    for (const file of ['compose/compose.yaml', 'compose/compose.dev.yaml', 'compose/compose.prebuilt.yaml']) {
      for (const name of referencedVariables(readText(file))) expect(documented.has(name), `${file}: ${name}`).to.equal(true);
    }
  });
});

describe('compose.dev.yaml', () => {
  it('runs the app from the mounted source tree with hot reload instead of the production build', () => {
    const app = dev.services['app'] as Service;
    expect(app.build).to.deep.equal({ $reset: true });
    expect(app.image).to.equal('node:${NODE_VERSION:?NODE_VERSION is not set; pass --env-file compose/.env}');
    expect(app.volumes).to.include('..:/work');
    expect(app.command?.join(' ')).to.include('npm run dev');
  });

  it('makes the whole Elastic Stack optional behind the elastic profile, and the app independent of it', () => {
    for (const name of Object.keys(compose.services)) {
      if (['app', 'app-next', 'postgres', 'caddy', 'filebeat'].includes(name)) continue;
      expect(dev.services[name]?.profiles, name).to.deep.equal(['elastic']);
    }
    // Filebeat reads the engine's log files from the host: not under `elastic`, only under its own `logs`.
    expect(dev.services).to.not.have.property('filebeat');
    expect(compose.services['filebeat']?.profiles).to.deep.equal(['logs']);
    // The dev app is served on loopback directly, without the edge; app-next is behind the deploy profile already.
    expect(dev.services['caddy']?.profiles).to.deep.equal(['edge']);
    expect(compose.services['app-next']?.profiles).to.deep.equal(['deploy']);
    expect(Object.keys(dev.services['app']?.depends_on ?? {})).to.deep.equal(['postgres']);
  });
});
