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
