// The operator's public address as the internet sees it, asked of AWS's own checkip service
// over HTTPS (it answers the caller's address and a newline). Verified on paper only: this
// machine has no internet; the service is the one AWS's docs and tooling use for "my IP".
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const CHECKIP_URL = 'https://checkip.amazonaws.com/';

/** Answers the text the address service sent back (provision validates it), or rejects. */
export type AddressLookup = () => Promise<string>;

export interface LookupOptions {
  url?: string;
  timeoutMs?: number;
}

/**
 * Asks over IPv4 only: the box has no IPv6 address (default VPC), so the address that
 * reaches it is the operator's IPv4 one, whatever a dual-stack laptop would prefer.
 */
export function checkipLookup({ url = CHECKIP_URL, timeoutMs = 5000 }: LookupOptions = {}): AddressLookup {
  return () =>
    new Promise<string>((resolve, reject) => {
      const target = new URL(url);
      // http only for a local test server; the real service is always asked over https.
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(target, { method: 'GET', family: 4, timeout: timeoutMs, headers: { accept: 'text/plain' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          // An address is a few dozen characters; anything long is not the service answering.
          if (body.length > 1000) {
            reject(new Error(`${target.host} answered more than an address`));
            res.destroy();
          }
        });
        res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`${target.host} answered HTTP ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${target.host} did not answer within ${timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end();
    });
}
