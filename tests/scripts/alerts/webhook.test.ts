import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { storeWebhook, webhookSchema, WEBHOOK_SECRET } from '../../../scripts/lib/alerts/webhook.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { awsError } from '../fakes/aws-error.js';
import type { SsmMock } from '../fakes/fake-box.js';

const problem = (url: string) => {
  const parsed = webhookSchema.safeParse(url);
  return parsed.success ? undefined : parsed.error.issues.map((i) => i.message).join('; ');
};

describe('alerts: the webhook destination', () => {
  it('takes the incoming webhook URLs chat services hand out', () => {
    for (const url of [
      'https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX',
      'https://discord.com/api/webhooks/123456789012345678/abc_DEF-123',
      'https://contoso.webhook.office.com/webhookb2/1a2b3c4d-0000-0000-0000-000000000000@5e6f/IncomingWebhook/abc123/0f0f',
      'https://alerts.example.com:8443/pillbox?token=abc123&channel=ops',
    ]) {
      expect(problem(url), url).to.equal(undefined);
    }
  });

  it('refuses, naming why, what is not an https URL or could change meaning on its way to the engine', () => {
    expect(problem('http://hooks.example.com/x')).to.match(/^http:\/\/ is not allowed; .* use an https URL$/);
    expect(problem('hooks.slack.com/services/x')).to.match(/^not a URL; /);
    for (const withCredentials of ['https://user:pw@hooks.example.com/x', 'https://user@hooks.example.com/x', 'https://:pw@hooks.example.com/x']) {
      expect(problem(withCredentials), withCredentials).to.match(/^credentials in the URL/);
    }
    for (const bad of ['https://a.example.com/$HOME', 'https://a.example.com/x y', 'https://a.example.com/"x', "https://a.example.com/x'", 'https://a.example.com/#x', 'https://a.example.com/\\x']) {
      expect(problem(bad), bad).to.match(/not URL-safe/);
    }
    expect(problem(`https://a.example.com/${'x'.repeat(2048)}`)).to.match(/longer than 2048/);
    // 2048 itself is still taken.
    const longest = 'https://a.example.com/';
    expect(problem(`${longest}${'x'.repeat(2048 - longest.length)}`)).to.equal(undefined);
  });

  describe('storeWebhook', () => {
    let ssm: SsmMock;
    beforeEach(() => (ssm = mockClient(SSMClient)));
    afterEach(() => ssm.restore());
    const name = `/pillbox/main/secrets/${WEBHOOK_SECRET}`;

    it('creates the SecureString with the owner tags the first time', async () => {
      ssm.on(PutParameterCommand).resolves({});
      expect(await storeWebhook(new SSMClient({ region: 'eu-west-1' }), 'main', 'https://hooks.example.com/a')).to.equal('created');
      const sent = ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input);
      expect(sent).to.have.length(1);
      expect(sent[0]).to.deep.include({ Name: name, Description: `pillbox main: ${WEBHOOK_SECRET}`, Value: 'https://hooks.example.com/a', Type: 'SecureString' });
      expect(sent[0]?.Tags?.map((t) => t.Key)).to.include.members(['Project', 'Env', 'ManagedBy']);
      expect(sent[0]?.Overwrite).to.equal(undefined);
    });

    it('overwrites an existing one without tags (PutParameter refuses both together)', async () => {
      ssm.on(PutParameterCommand).rejects(awsError('ParameterAlreadyExists', 'The parameter already exists.'));
      ssm.on(PutParameterCommand, { Overwrite: true }).resolves({});
      expect(await storeWebhook(new SSMClient({ region: 'eu-west-1' }), 'main', 'https://hooks.example.com/b')).to.equal('updated');
      const last = ssm.commandCalls(PutParameterCommand).at(-1)?.args[0].input;
      expect(last).to.deep.equal({ Name: name, Value: 'https://hooks.example.com/b', Type: 'SecureString', Overwrite: true });
    });

    it('overwrites nothing when the first write failed for another reason, and passes that error on', async () => {
      ssm.on(PutParameterCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
      const err = await storeWebhook(new SSMClient({ region: 'eu-west-1' }), 'main', 'https://hooks.example.com/a').catch((e: unknown) => e);
      expect((err as Error).name).to.equal('ThrottlingException');
      expect(ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input.Overwrite)).to.deep.equal([undefined]);
    });

    it('names the missing permission when the credentials may not write it', async () => {
      ssm.on(PutParameterCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
      const err = await storeWebhook(new SSMClient({ region: 'eu-west-1' }), 'main', 'https://hooks.example.com/a').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OperatorError);
      expect((err as OperatorError).message).to.equal(`Your AWS credentials may not write ${name}.`);
      expect((err as OperatorError).hint).to.include('ssm:PutParameter');
    });
  });
});
