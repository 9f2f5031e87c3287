import { expect } from 'chai';
import { applyWebhook, applyWebhookCommands, ENGINE_CONFIG, SENT_LINE, sendTestAlert, TEST_ALERT_SCRIPT, TEST_RULE, testAlertCommand } from '../../../scripts/lib/alerts/run.js';
import type { RemoteResult } from '../../../scripts/lib/box/ssm-output.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { COMPOSE } from '../fakes/swap-steps.js';
import { useStubBin } from '../fakes/stub-bin.js';

/** Progress that records the steps it was asked to show. */
const steps: string[] = [];
const progress = { step: <T>(what: string, work: (report: (detail: string) => void) => Promise<T>) => (steps.push(what), work(() => undefined)) };
/** A box that answers each argv in turn with the given replies, and records what it was sent and the timeouts. */
function aBox(...replies: Partial<RemoteResult>[]) {
  const sent: string[][] = [];
  const timeouts: (number | undefined)[] = [];
  const run = async (argv: readonly string[], options?: { timeoutSeconds?: number }) => {
    sent.push([...argv]);
    timeouts.push(options?.timeoutSeconds);
    return { exitCode: 0, stdout: '', stderr: '', ...replies[sent.length - 1] };
  };
  return { run, sent, timeouts };
}

describe('alerts on the box', () => {
  beforeEach(() => steps.splice(0));

  it('shows each step, and gives each command on the box two minutes', async () => {
    const box = aBox({}, {}, { stdout: 'INFO:elastalert:HTTP Post alert sent.\n' });
    await applyWebhook(box.run, progress);
    await sendTestAlert(box.run, progress);
    expect(steps).to.deep.equal(['Fetch the secrets on the box', 'Restart the alert engine with the new destination', 'Send a test alert through the alert engine']);
    expect(box.timeouts).to.deep.equal([120, 120, 120]);
  });

  it('names the exit status when a failed command printed nothing', async () => {
    const apply = (await applyWebhook(aBox({ exitCode: 3 }).run, progress).catch((e: unknown) => e)) as OperatorError;
    expect(apply.message).to.equal('The destination is stored, but the box could not take it up (fetch the secrets on the box: exit 3).');
    expect(apply.hint).to.include('sudo systemctl restart');
    const test = (await sendTestAlert(aBox({ exitCode: 1 }).run, progress).catch((e: unknown) => e)) as OperatorError;
    expect(test.message).to.equal('The test alert did not reach the destination:\nexit 1');
  });

  it('re-reads the secrets, then recreates the alert engine alone with its new environment', async () => {
    const box = aBox();
    await applyWebhook(box.run, progress);
    expect(box.sent).to.deep.equal(applyWebhookCommands());
    expect(box.sent.map((argv) => argv.join(' '))).to.deep.equal(['/usr/local/sbin/pillbox-fetch-secrets', `${COMPOSE} up --detach --no-deps --wait elastalert`]);
  });

  it('says the destination is stored and how to finish when the box cannot take it up (fault: the engine does not get healthy)', async () => {
    const box = aBox({}, { exitCode: 1, stderr: 'container pillbox-elastalert-1 is unhealthy\n' });
    const err = await applyWebhook(box.run, progress).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OperatorError);
    expect((err as Error).message).to.equal('The destination is stored, but the box could not take it up (restart the alert engine with the new destination: container pillbox-elastalert-1 is unhealthy).');
  });

  it('runs the test rule in the engine container and succeeds only on the alerter\'s "sent" line', async () => {
    const box = aBox({ stdout: 'INFO:elastalert:HTTP Post alert sent.\n' });
    expect(await sendTestAlert(box.run, progress)).to.equal('The destination accepted the test alert.');
    expect(box.sent).to.deep.equal([testAlertCommand()]);
    expect(box.sent[0]?.slice(0, 17).join(' ')).to.equal(`${COMPOSE} exec -T elastalert sh -c`);
  });

  it('shows what the engine said when the destination refused the test alert', async () => {
    const box = aBox({ exitCode: 1, stdout: "ERROR:root:Error while running alert post: Error posting HTTP Post alert: 404 Client Error: Not Found for url: https://hooks.example.com/x\n" });
    const err = (await sendTestAlert(box.run, progress).catch((e: unknown) => e)) as OperatorError;
    expect(err.message).to.include('The test alert did not reach the destination:\nERROR:root:Error while running alert post: Error posting HTTP Post alert: 404');
    expect(err.hint).to.include('npm run alerts -- --webhook URL');
  });

  it('tells a box without the engine from a refused alert', async () => {
    const box = aBox({ exitCode: 1, stderr: 'service "elastalert" is not running\n' });
    const err = (await sendTestAlert(box.run, progress).catch((e: unknown) => e)) as OperatorError;
    expect(err.message).to.match(/^The alert engine is not running on the box/);
    expect(err.hint).to.include('npm run deploy');
  });

  describe('the test alert script, run under sh in place of the engine container', () => {
    const bin = useStubBin();
    // The stored destination: its path is the credential of an incoming webhook.
    const URL = 'https://Hooks.Example.com/services/T0/B0/s3cretToken';
    // What elastalert-test-rule at 2.31.0 prints when the POST fails: the alerter's error names requests' prepared URL
    // (host lowercased), and the writeback dump repeats the rule's alert_info (alerters/httppost.py get_info).
    const REFUSED = [
      'ERROR:elastalert:Error while running alert post: Error posting HTTP Post alert: 404 Client Error: Not Found for url: https://hooks.example.com/services/T0/B0/s3cretToken',
      '',
      'Would have written the following documents to writeback index (default is elastalert_status):',
      '',
      "elastalert - {'rule_name': 'pillbox test alert', 'alert_info': {'type': 'http_post', 'http_post_webhook_url': ['https://Hooks.Example.com/services/T0/B0/s3cretToken']}, 'alert_sent': False}",
    ].join('\n');
    const run = (said: string) => {
      bin.stub('elastalert-test-rule', `cat <<'EOF'\n${said}\nEOF`);
      return bin.run(['env', `ALERT_WEBHOOK_URL=${URL}`, 'sh', '-c', TEST_ALERT_SCRIPT, 'sh', ENGINE_CONFIG, TEST_RULE, SENT_LINE]);
    };

    it('prints what the engine said with the destination by host only, never its path', async () => {
      const refused = await run(REFUSED);
      expect(refused.code).to.equal(1);
      expect(refused.stdout).to.not.match(/s3cretToken/i);
      expect(refused.stdout).to.include('404 Client Error: Not Found for url: https://hooks.example.com/<path hidden>');
      expect(refused.stdout).to.include("'http_post_webhook_url': ['https://Hooks.Example.com/<path hidden>']");
    });

    it('succeeds on the sent line, which it still shows', async () => {
      const sent = await run('INFO:elastalert:HTTP Post alert sent.');
      expect(sent.code).to.equal(0);
      expect(sent.stdout).to.equal('INFO:elastalert:HTTP Post alert sent.\n');
    });
  });
});
