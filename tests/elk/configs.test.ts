import { expect } from 'chai';
import { parse } from 'yaml';
import { APM_SERVER_USER, HEARTBEAT_USER } from '../../elk/setup/src/security.js';
import { HEARTBEAT_POLICY } from '../../elk/setup/src/retention.js';
import { loadCompose, readText, type Service } from '../compose/compose-files.js';

const compose = loadCompose('compose/compose.yaml');
const CONFIGS = ['elk/elasticsearch/elasticsearch.yml', 'elk/kibana/kibana.yml', 'elk/apm-server/apm-server.yml', 'elk/heartbeat/heartbeat.yml'];

/** `${VAR}` needs VAR; `${VAR:default}` (Beats) does not. Returns [name, hasDefault]. */
function configVariables(text: string): [string, boolean][] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_.]*)(:[^}]*)?\}/g)].map((m) => [m[1] as string, m[2] !== undefined]);
}

/** Variables a service's process gets: its compose environment, and what its entrypoint exports (from secret files). */
function providedVariables(s: Service): string[] {
  const exported = [...(s.entrypoint ?? []).join(' ').matchAll(/export ([A-Z_]+)=/g)].map((m) => m[1] as string);
  return [...Object.keys(s.environment ?? {}), ...exported];
}

/** The services that mount a config file from elk/, with the environment compose gives each. */
function mountsOf(config: string): [string, Service][] {
  return Object.entries(compose.services).filter(([, s]) => (s.volumes ?? []).some((v) => v.startsWith(`../${config}:`)));
}

describe('Elastic component configs', () => {
  for (const config of CONFIGS) {
    describe(config, () => {
      const text = readText(config);

      it('parses as YAML and opens with a line on what it is for', () => {
        expect(() => parse(text)).to.not.throw();
        expect(parse(text)).to.be.an('object');
        expect(text.split('\n')[0]).to.match(/^# \S.{20,}/);
      });

      it('is mounted read-only by at least one compose service', () => {
        const mounts = mountsOf(config);
        expect(mounts.length).to.be.greaterThan(0);
        for (const [, s] of mounts) expect(s.volumes?.find((v) => v.startsWith(`../${config}:`))).to.match(/:ro$/);
      });

      it('references only variables that compose sets for every service mounting it', () => {
        for (const [service, s] of mountsOf(config)) {
          for (const [name, hasDefault] of configVariables(text)) {
            if (hasDefault || name.startsWith('path.')) continue;
            expect(providedVariables(s), `${service} lacks ${name} for ${config}`).to.include(name);
          }
        }
      });

      it('keeps secrets out: every password, token and key is a ${VAR} reference', () => {
        const flat = JSON.stringify(parse(text));
        for (const m of flat.matchAll(/"([^"]*(password|secret_token|encryptionKey)[^"]*)":"([^"]*)"/gi)) {
          expect(m[3], m[1]).to.match(/^\$\{[A-Z_]+(:[^}]*)?\}$/);
        }
      });
    });
  }

  it('uses the writer users and the Heartbeat policy that elk/setup creates', () => {
    const apm = parse(readText('elk/apm-server/apm-server.yml'));
    const heartbeat = parse(readText('elk/heartbeat/heartbeat.yml'));
    expect(apm['output.elasticsearch'].username).to.equal(APM_SERVER_USER);
    expect(heartbeat['output.elasticsearch'].username).to.equal(`\${HEARTBEAT_ES_USERNAME:${HEARTBEAT_USER}}`);
    expect(heartbeat['setup.ilm.policy_name']).to.equal(HEARTBEAT_POLICY);
  });

  it('makes APM Server require the secret token', () => {
    const apm = parse(readText('elk/apm-server/apm-server.yml'));
    expect(apm['apm-server'].auth.secret_token).to.equal('${ELASTIC_APM_SECRET_TOKEN}');
  });

  it("monitors the app's /readyz, Kibana and Elasticsearch from inside the network, tagged with the app's service name", () => {
    const monitors = parse(readText('elk/heartbeat/heartbeat.yml'))['heartbeat.monitors'] as { urls: string[]; 'service.name': string }[];
    const urls = monitors.flatMap((m) => m.urls);
    expect(urls).to.include('http://app:3000/readyz');
    expect(urls.some((u) => u.startsWith('http://kibana:5601/'))).to.equal(true);
    expect(urls.some((u) => u.startsWith('http://elasticsearch:9200/'))).to.equal(true);
    for (const m of monitors) expect(m['service.name']).to.equal('${ELASTIC_APM_SERVICE_NAME:pillbox}');
  });

  it('keeps the long-running Heartbeat from loading templates, and lets only heartbeat-setup do it as elastic', () => {
    const heartbeat = parse(readText('elk/heartbeat/heartbeat.yml'));
    expect(heartbeat['setup.template.enabled']).to.equal(false);
    expect(heartbeat['setup.ilm.check_exists']).to.equal(false);
    expect(compose.services['heartbeat']?.environment).to.not.have.property('HEARTBEAT_ES_USERNAME');
    expect(compose.services['heartbeat-setup']?.environment?.['HEARTBEAT_ES_USERNAME']).to.equal('elastic');
    expect(compose.services['heartbeat-setup']?.entrypoint?.join(' ')).to.match(/exec \/usr\/share\/heartbeat\/heartbeat setup --index-management /);
  });

  it("reads heartbeat-setup's elastic password from the secret file into the process only", () => {
    const setup = compose.services['heartbeat-setup'] as Service;
    expect(setup.entrypoint?.join(' ')).to.include('export HEARTBEAT_ES_PASSWORD="$$(< /run/secrets/elastic_password)"');
    expect(setup.environment).to.not.have.property('HEARTBEAT_ES_PASSWORD');
  });

  it('gives Heartbeat indices no replica: one node can never assign it, and the cluster would stay yellow', () => {
    expect(parse(readText('elk/heartbeat/heartbeat.yml'))['setup.template.settings']).to.deep.equal({ 'index.number_of_replicas': 0 });
  });

  it('marks Elasticsearch down when the cluster is red: _cluster/health answers 200 whatever the status', () => {
    type Monitor = { id: string; urls: string[]; 'check.response.json'?: { condition: unknown }[] };
    const monitors = parse(readText('elk/heartbeat/heartbeat.yml'))['heartbeat.monitors'] as Monitor[];
    const es = monitors.find((m) => m.urls.some((u) => u.endsWith('/_cluster/health')));
    expect(es?.['check.response.json']?.map((c) => c.condition)).to.deep.equal([
      { or: [{ equals: { status: 'green' } }, { equals: { status: 'yellow' } }] },
    ]);
  });
});
