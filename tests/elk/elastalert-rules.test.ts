// What the rule files ask of ElastAlert2 that Debian's ElastAlert 0.2.4 (elastalert-delivery.test.ts) cannot check.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const RULES_DIR = 'elk/elastalert/rules';
const rules = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((file) => ({ file, rule: parse(readFileSync(join(RULES_DIR, file), 'utf8')) as Record<string, unknown> }));

describe('ElastAlert2 rules (elk/elastalert/rules)', () => {
  it('are read', () => expect(rules.map((r) => r.file)).to.include('latency-p95.yaml'));

  // elastalert/elastalert.py at 2.31.0: get_aggregation_query puts min_doc_count on the terms buckets of the query_key
  // only; without one the metric runs over every document, and one slow request on an idle box is a p95.
  // elastalert/config.py at 2.31.0 defaults disable_rules_on_error to true, and elastalert.py handle_uncaught_exception
  // then pauses the rule's job until the engine restarts, while the healthcheck stays green: one odd response and
  // that alert is gone for good. Off, the rule runs again at its next turn and the error is logged each time.
  it('keep a rule running after an unexpected error (config.yaml)', () => {
    const config = parse(readFileSync('elk/elastalert/config.yaml', 'utf8')) as Record<string, unknown>;
    expect(config['disable_rules_on_error']).to.equal(false);
  });

  it('set min_doc_count only with a query_key, the terms buckets it applies to', () => {
    for (const { file, rule } of rules.filter((r) => 'min_doc_count' in r.rule)) {
      expect(rule['query_key'], `${file}: min_doc_count without query_key does nothing`).to.be.a('string').and.not.equal('');
    }
  });
});
