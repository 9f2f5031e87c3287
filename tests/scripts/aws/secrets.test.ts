import * as ssm from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { createSecrets, generateSecret, missingSecrets, readSecret, SECRET_NAMES } from '../../../scripts/lib/aws/secrets.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { awsError, failNext, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';

const TAGS = [{ Key: 'Env', Value: 'dev' }];
const path = (name: string) => `/pillbox/dev/secrets/${name}`;

describe('the environment\'s secrets', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));
  let n = 0;
  const generate = () => `generated-${(n += 1)}`;
  beforeEach(() => (n = 0));

  it('are 32 random bytes each, as 43 URL-safe characters', () => {
    const [a, b] = [generateSecret(), generateSecret()];
    expect(a).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(a).to.not.equal(b);
  });

  it('lists as missing only the names with no parameter of this environment', () => {
    const existing = [path('POSTGRES_PASSWORD'), '/pillbox/dev-2/secrets/APP_DB_PASSWORD'];
    expect(missingSecrets('dev', existing)).to.deep.equal(SECRET_NAMES.filter((s) => s !== 'POSTGRES_PASSWORD'));
  });

  it('are created as tagged SecureStrings without Overwrite, one per name, and named back', async () => {
    expect(await createSecrets(fake.clients.ssm, 'dev', ['POSTGRES_PASSWORD', 'WRITE_PASSWORD'], TAGS, generate)).to.deep.equal(['POSTGRES_PASSWORD', 'WRITE_PASSWORD']);
    expect(fake.mocks.ssm.commandCalls(ssm.PutParameterCommand).map((c) => c.args[0].input)).to.deep.equal([
      { Name: path('POSTGRES_PASSWORD'), Description: 'pillbox dev: POSTGRES_PASSWORD', Value: 'generated-1', Type: 'SecureString', Tags: TAGS },
      { Name: path('WRITE_PASSWORD'), Description: 'pillbox dev: WRITE_PASSWORD', Value: 'generated-2', Type: 'SecureString', Tags: TAGS },
    ]);
  });

  it('keep one another run made between our look and our write, and leave it out of what was created', async () => {
    world.params.set(path('POSTGRES_PASSWORD'), { value: 'theirs', type: 'SecureString', tags: TAGS });
    expect(await createSecrets(fake.clients.ssm, 'dev', ['POSTGRES_PASSWORD', 'APP_DB_PASSWORD'], TAGS, generate)).to.deep.equal(['APP_DB_PASSWORD']);
    expect(world.params.get(path('POSTGRES_PASSWORD'))?.value).to.equal('theirs');
  });

  it('stop at any other failure, the ones before it made', async () => {
    world.onCall = (name) => {
      if (name === 'PutParameter' && world.params.size === 1) failNext(world, 'PutParameter', awsError('ParameterLimitExceeded', 'You have exceeded the number of parameters'));
    };
    expect((await rejection(createSecrets(fake.clients.ssm, 'dev', ['POSTGRES_PASSWORD', 'APP_DB_PASSWORD'], TAGS, generate))).name).to.equal('ParameterLimitExceeded');
    expect([...world.params.keys()]).to.deep.equal([path('POSTGRES_PASSWORD')]);
  });

  describe('read one by one', () => {
    it('decrypted, or undefined when it does not exist or is empty', async () => {
      world.params.set(path('WRITE_PASSWORD'), { value: 's3cret', type: 'SecureString', tags: TAGS });
      world.params.set(path('APP_DB_PASSWORD'), { value: '', type: 'SecureString', tags: TAGS });
      expect(await readSecret(fake.clients.ssm, 'dev', 'WRITE_PASSWORD', 'hint')).to.equal('s3cret');
      expect(fake.mocks.ssm.commandCalls(ssm.GetParameterCommand)[0]?.args[0].input).to.deep.equal({ Name: path('WRITE_PASSWORD'), WithDecryption: true });
      expect(await readSecret(fake.clients.ssm, 'dev', 'APP_DB_PASSWORD', 'hint')).to.equal(undefined);
      expect(await readSecret(fake.clients.ssm, 'dev', 'POSTGRES_PASSWORD', 'hint')).to.equal(undefined);
    });

    it('name the parameter and give the caller\'s hint when the credentials may not read it', async () => {
      failNext(world, 'GetParameter', awsError('AccessDeniedException', 'not authorized'));
      const err = await rejection(readSecret(fake.clients.ssm, 'dev', 'WRITE_PASSWORD', 'Allow ssm:GetParameter.'));
      expect(err).to.be.instanceOf(OperatorError);
      expect(err.message).to.equal(`Your AWS credentials may not read ${path('WRITE_PASSWORD')}.`);
      expect(err.hint).to.equal('Allow ssm:GetParameter.');
    });

    it('pass any other failure through', async () => {
      failNext(world, 'GetParameter', awsError('KMSAccessDeniedException', 'not authorized to use the key'));
      expect((await rejection(readSecret(fake.clients.ssm, 'dev', 'WRITE_PASSWORD', 'hint'))).name).to.equal('KMSAccessDeniedException');
    });
  });
});
