import { expect } from 'chai';
import type { ProvisionResult } from '../../../scripts/lib/provision/run.js';
import { provisionRows } from '../../../scripts/lib/provision/summary.js';

const aResult = (overrides: Partial<ProvisionResult> = {}): ProvisionResult => ({
  env: 'dev',
  region: 'eu-west-1',
  account: '123456789012',
  planned: false,
  steps: [],
  instanceId: 'i-0abc',
  instanceType: 't3.medium',
  allowedCidr: '0.0.0.0/0',
  changes: [],
  publicIp: '203.0.113.10',
  appUrl: 'https://203.0.113.10/',
  gitSha: '3f2a1c0',
  source: { key: 'envs/dev/source/3f2a1c0.tar.gz', sha256: 'ab'.repeat(32), bytes: 1_200_000 },
  storage: { bucket: 'pillbox-123456789012-eu-west-1', retentionDays: 14, keptBytes: 6_000_000, monthlyUsd: 0.000138 },
  expiresAt: '2026-11-21T18:00:00Z',
  budgetMinutes: 50,
  budget: '50 min',
  hourlyUsd: 0.0449,
  ttlUsd: 0.36,
  containerLogs: { shipped: false, fullSet: { instanceType: 't3a.large', hourlyUsd: 0.0827, ttlUsd: 0.66 } },
  alertDestination: false,
  costSoFarUsd: 0.01,
  waited: true,
  ...overrides,
});
const rows = (r: ProvisionResult) => Object.fromEntries(provisionRows(r));

describe('provision summary', () => {
  it('says a 4 GiB box ships no container logs, and prices the cheapest type that would', () => {
    expect(rows(aResult())['Logs']).to.equal('container logs not shipped: Filebeat needs 8 GiB; --instance-type t3a.large runs it for $0.0827/hour, $0.6600 for the full TTL');
    expect(rows(aResult({ containerLogs: { shipped: true } }))['Logs']).to.match(/^container logs shipped to Elasticsearch by Filebeat/);
  });

  it('says which mode the edge serves in, or that it could not be read', () => {
    expect(rows(aResult({ edge: { https: true, summary: 'HTTPS, certificate from Let\'s Encrypt valid until 2026-11-27 10:00 UTC (5 days left; Caddy renews it)' } }))['Edge']).to.match(/^HTTPS, certificate from Let's Encrypt/);
    expect(rows(aResult({ edge: { error: 'service "caddy" is not running' } }))['Edge']).to.equal('could not be read (service "caddy" is not running); `npm run status` tries again');
    expect(rows(aResult())).to.not.have.property('Edge');
  });

  it('names the DNS record to create and the Elastic IP with its cost, for a domain', () => {
    const r = rows(aResult({ domain: 'app.example.com', elasticIp: '198.51.100.20', publicIp: '198.51.100.20' }));
    expect(r['DNS']).to.equal("create or check the record: app.example.com. A 198.51.100.20 (Let's Encrypt validates through it)");
    expect(r['Elastic IP']).to.equal('198.51.100.20: $0.0050/hour until `npm run teardown` releases it, also after the instance terminates itself');
  });

  it('shows no DNS or Elastic IP rows without a domain', () => {
    const r = rows(aResult());
    expect(r).to.not.have.property('DNS');
    expect(r).to.not.have.property('Elastic IP');
  });
});
