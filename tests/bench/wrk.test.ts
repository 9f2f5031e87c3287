import { expect } from 'chai';
import { parseWrk } from '../../bench/wrk.js';

const report = (p99: string) => `Running 2s test @ http://127.0.0.1:35665/api/medications
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   243.50ms  208.86ms   1.13s    84.27%
  Latency Distribution
     50%  179.53ms
     75%  280.96ms
     90%  523.17ms
     99%  ${p99}
  296 requests in 2.11s, 182.40KB read
  Non-2xx or 3xx responses: 3
Requests/sec:    140.59
`;

describe('wrk report', () => {
  it('reads throughput, requests, failures and percentiles', () => {
    expect(parseWrk(report('812.40ms'))).to.deep.equal({ rps: 140.59, p50Ms: 179.53, p99Ms: 812.4, requests: 296, failures: 3 });
  });

  it('reads a percentile in whole seconds, which wrk pads with a trailing space', () => {
    expect(parseWrk(report('  1.04s ')).p99Ms).to.equal(1040);
  });

  it('refuses a report without the figure it needs', () => {
    expect(() => parseWrk(report('812.40ms').replace(/Requests\/sec.*/, ''))).to.throw(/Requests/);
  });
});
