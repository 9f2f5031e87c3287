// The address lookup's HTTP side, against a local server standing in for checkip (no
// internet here): the body it returns, and the failures provision turns into a refusal.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { checkipLookup } from '../../../scripts/lib/core/public-address.js';
import { rejection } from '../fakes/fake-aws.js';

describe('public address lookup', () => {
  let server: Server;
  let respond: (res: ServerResponse) => void;
  let url: string;

  beforeEach(async () => {
    server = createServer((_req, res) => respond(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers the body without its newline, as checkip sends it', async () => {
    respond = (res) => res.end('203.0.113.77\n');
    expect(await checkipLookup({ url })()).to.equal('203.0.113.77');
  });

  it('fails on an HTTP error status instead of reading an error page as an address', async () => {
    respond = (res) => {
      res.statusCode = 503;
      res.end('Service Unavailable');
    };
    expect((await rejection(checkipLookup({ url })())).message).to.match(/^127\.0\.0\.1:\d+ answered HTTP 503$/);
  });

  it('gives up on a service that never answers, within its timeout', async () => {
    respond = () => undefined;
    const started = Date.now();
    expect((await rejection(checkipLookup({ url, timeoutMs: 200 })())).message).to.match(/did not answer within 0.2 s$/);
    expect(Date.now() - started).to.be.below(5000);
  });

  it('stops reading an answer far longer than an address', async () => {
    respond = (res) => res.end('x'.repeat(5000));
    expect((await rejection(checkipLookup({ url })())).message).to.match(/answered more than an address$/);
  });
});
