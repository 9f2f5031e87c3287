import { expect } from 'chai';
import { parse } from 'yaml';
import {
  interpolate,
  isOneShot,
  loadCompose,
  mebibytes,
  parseEnvFile,
  readText,
  referencedVariables,
  type Service,
} from './compose-files.js';

const compose = loadCompose('compose/compose.yaml');
const dev = loadCompose('compose/compose.dev.yaml');
const pinned = parseEnvFile(readText('compose/.env'));
const services = Object.entries(compose.services);
const longRunning = services.filter(([, s]) => !isOneShot(s));
const oneShots = services.filter(([, s]) => isOneShot(s));

// t3.medium: 4 GiB. Kernel, dockerd/containerd, the SSM agent and page cache need the rest.
const BOX_MIB = 4096;
const LONG_RUNNING_BUDGET_MIB = 3200;
// The one-shots run only during start-up; even all at once they must leave 512 MiB free.
const ALL_SERVICES_BUDGET_MIB = BOX_MIB - 512;

const limitOf = (s: Service) => mebibytes(s.deploy?.resources?.limits?.memory ?? '0m');
const option = (args: string, flag: RegExp) => args.match(flag)?.[1];

describe('compose.yaml invariants', () => {
  it('is the pillbox project, with the services the design names', () => {
    expect(compose.name).to.equal('pillbox');
    expect(Object.keys(compose.services)).to.include.members(['app', 'postgres', 'elasticsearch', 'kibana', 'apm-server', 'heartbeat', 'setup']);
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

    it('resolves every image to an exact tag, never latest or a bare major', () => {
      for (const [name, s] of [...services, ['app (dev)', dev.services['app'] as Service] as const]) {
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
        expect(test).to.match(/https?:\/\/|\/dev\/tcp\/|pg_isready/);
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

    it('lets the app start only after postgres is healthy and setup has completed; Kibana only after setup', () => {
      expect(compose.services['app']?.depends_on).to.deep.include({ postgres: { condition: 'service_healthy' }, setup: { condition: 'service_completed_successfully' } });
      expect(compose.services['kibana']?.depends_on).to.deep.include({ setup: { condition: 'service_completed_successfully' } });
    });

    it('has every one-shot awaited by a long-running service, so `up --wait` accepts its exit', () => {
      for (const [name] of oneShots) {
        const adopters = longRunning.filter(([, s]) => s.depends_on?.[name]?.condition === 'service_completed_successfully');
        expect(adopters.length, `${name} is awaited by no long-running service`).to.be.greaterThan(0);
      }
    });
  });

  describe('memory budget for a 4 GiB box', () => {
    it(`keeps the long-running limits under ${LONG_RUNNING_BUDGET_MIB} MiB and everything under ${ALL_SERVICES_BUDGET_MIB} MiB`, () => {
      const running = longRunning.reduce((sum, [, s]) => sum + limitOf(s), 0);
      const all = services.reduce((sum, [, s]) => sum + limitOf(s), 0);
      expect(running).to.be.at.most(LONG_RUNNING_BUDGET_MIB);
      expect(all).to.be.at.most(ALL_SERVICES_BUDGET_MIB);
    });

    it('gives every one-shot a memory limit too', () => {
      for (const [name, s] of oneShots) expect(limitOf(s), name).to.be.greaterThan(0);
    });

    it('fixes the Elasticsearch heap (Xms = Xmx), leaves at least 512 MiB off-heap, and locks it in memory', () => {
      const es = compose.services['elasticsearch'] as Service;
      const opts = es.environment?.['ES_JAVA_OPTS'] ?? '';
      const xms = option(opts, /-Xms(\d+[mg])/);
      const xmx = option(opts, /-Xmx(\d+[mg])/);
      expect(xms).to.equal(xmx);
      expect(limitOf(es) - mebibytes(xmx ?? '0m')).to.be.at.least(512);
      expect(es.ulimits?.['memlock']).to.deep.equal({ soft: -1, hard: -1 });
      expect(parse(readText('elk/elasticsearch/elasticsearch.yml'))['bootstrap.memory_lock']).to.equal(true);
    });

    it('caps the Kibana heap below its container limit', () => {
      const kibana = compose.services['kibana'] as Service;
      const heap = Number(option(kibana.environment?.['NODE_OPTIONS'] ?? '', /--max-old-space-size=(\d+)/));
      expect(heap).to.be.greaterThan(0);
      expect(limitOf(kibana) - heap).to.be.at.least(256);
    });

    it('documents the same limits in compose/README.md', () => {
      const readme = readText('compose/README.md');
      for (const [name, s] of services) {
        const row = readme.split('\n').find((line) => line.startsWith(`| ${name} `));
        expect(row, `README budget row for ${name}`).to.not.equal(undefined);
        expect(row).to.include(s.deploy?.resources?.limits?.memory);
      }
    });
  });

  describe('ports', () => {
    it('publishes only the app to the world and Kibana to loopback; nothing else', () => {
      const published = Object.fromEntries(services.filter(([, s]) => s.ports !== undefined).map(([n, s]) => [n, s.ports]));
      expect(published).to.deep.equal({ app: ['0.0.0.0:${APP_PORT:-80}:3000'], kibana: ['127.0.0.1:5601:5601'] });
      for (const [name, s] of services) expect(s.expose, name).to.equal(undefined);
    });

    it('keeps the dev override on loopback too', () => {
      expect(dev.services['app']?.ports).to.deep.equal(['127.0.0.1:${APP_PORT:-3000}:3000']);
    });
  });

  describe('secrets', () => {
    const secretName = /PASSWORD|SECRET|TOKEN|ENCRYPTION_KEY/;
    it('takes every secret from the environment, required and never literal', () => {
      for (const [name, s] of services) {
        for (const [key, value] of Object.entries(s.environment ?? {})) {
          if (!secretName.test(key)) continue;
          expect(value, `${name}.${key}`).to.match(/^\$\{[A-Z_]+:\?[^}]+\}$/);
        }
      }
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
      if (name === 'app' || name === 'postgres') continue;
      expect(dev.services[name]?.profiles, name).to.deep.equal(['elastic']);
    }
    expect(Object.keys(dev.services['app']?.depends_on ?? {})).to.deep.equal(['postgres']);
  });
});
