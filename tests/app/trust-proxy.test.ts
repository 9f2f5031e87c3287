// Express believes X-Forwarded-For and -Proto only from the proxies TRUST_PROXY names (Caddy's edge network on
// the box), never from any client: the app the worker serves is built with that setting.
import { expect } from 'chai';
import { pino } from 'pino';
import { appOnDatabase } from '../../app/src/cluster/worker.js';
import { createSequelize } from '../../app/src/db/sequelize.js';

// Never connected: building the app opens no connection.
const sequelize = createSequelize('postgres://nobody:unused@127.0.0.1:1/none', 1);
const trustsPeer = (trustProxy?: string[]) => {
  const app = appOnDatabase(sequelize, pino({ level: 'silent' }), 16384, trustProxy);
  const trust = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  return (address: string) => trust(address, 0);
};

describe('trust proxy', () => {
  after(() => sequelize.close());

  it('believes forwarded headers from the edge network only, IPv4-mapped peers included', () => {
    const trusted = trustsPeer(['172.30.0.0/24']);
    expect(trusted('172.30.0.2')).to.equal(true);
    expect(trusted('::ffff:172.30.0.2')).to.equal(true);
    expect(trusted('172.30.1.2')).to.equal(false);
    expect(trusted('203.0.113.9')).to.equal(false);
  });

  it('believes nobody by default, not even loopback', () => {
    const trusted = trustsPeer();
    expect(trusted('127.0.0.1')).to.equal(false);
    expect(trusted('172.30.0.2')).to.equal(false);
  });
});

describe('HSTS', () => {
  after(() => sequelize.close().catch(() => undefined));

  /** The Strict-Transport-Security header of GET `path` from 127.0.0.1, with the given request headers. */
  async function hstsOf(trustProxy: string[] | undefined, path: string, headers: Record<string, string> = {}): Promise<string | null> {
    const app = appOnDatabase(sequelize, pino({ level: 'silent' }), 16384, trustProxy);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
      await res.arrayBuffer();
      return res.headers.get('strict-transport-security');
    } finally {
      server.close();
    }
  }

  for (const path of ['/', '/api/medications', '/nowhere']) {
    it(`is not sent over plain HTTP (http://localhost during development): ${path}`, async () => {
      expect(await hstsOf(undefined, path)).to.equal(null);
    });

    it(`is sent when the trusted edge says the request came over HTTPS: ${path}`, async () => {
      expect(await hstsOf(['127.0.0.1'], path, { 'x-forwarded-proto': 'https' })).to.equal('max-age=31536000; includeSubDomains');
    });
  }

  it('is not sent when an untrusted client claims HTTPS', async () => {
    expect(await hstsOf(undefined, '/', { 'x-forwarded-proto': 'https' })).to.equal(null);
  });
});
