import { expect } from 'chai';
import { changeWritePassword, readWritePasswords, rotateWritePassword } from '../../../scripts/lib/aws/write-password.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { awsError } from '../fakes/aws-error.js';
import { failNext, rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';

const CURRENT = '/pillbox/dev/secrets/WRITE_PASSWORD';
const PREVIOUS = '/pillbox/dev/secrets/WRITE_PASSWORD_PREVIOUS';
const TAGS = [
  { Key: 'Project', Value: 'pillbox' },
  { Key: 'Env', Value: 'dev' },
];

describe('the write password in Parameter Store', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => {
    world = w;
    fake = f;
    world.params.set(CURRENT, { value: 'first-password-aaaaaaaaaaaa', type: 'SecureString', tags: TAGS });
  });
  const ssm = () => fake.clients.ssm;

  it('rotates: the current one becomes the previous one, a tagged SecureString, and a new URL-safe one is current with its tags kept', async () => {
    const rotated = await rotateWritePassword(ssm(), 'dev');
    expect(rotated.previous).to.equal('first-password-aaaaaaaaaaaa');
    expect(rotated.current).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(world.params.get(CURRENT)).to.deep.equal({ value: rotated.current, type: 'SecureString', tags: TAGS });
    expect(world.params.get(PREVIOUS)?.value).to.equal('first-password-aaaaaaaaaaaa');
    expect(world.params.get(PREVIOUS)?.type).to.equal('SecureString');
    expect(world.params.get(PREVIOUS)?.tags).to.deep.include({ Key: 'ManagedBy', Value: 'pillbox' });
    expect(await readWritePasswords(ssm(), 'dev')).to.deep.equal(rotated);
  });

  it('refuses a second rotation while the previous one is still accepted, changing nothing', async () => {
    await rotateWritePassword(ssm(), 'dev');
    const before = new Map(world.params);
    const err = await rejection(rotateWritePassword(ssm(), 'dev'));
    expect(err).to.be.instanceOf(OperatorError);
    expect(err.message).to.equal('The last rotation is not finished: the write password before the current one is still accepted.');
    expect(err.hint).to.contain('--write-password drop-previous');
    expect(world.params).to.deep.equal(before);
  });

  it('finishes a rotation cut off between its two writes (fault: the overwrite of the current one fails)', async () => {
    // The first PutParameter creates the previous one; the one after it, the overwrite, fails.
    world.onCall = (name) => {
      if (name === 'PutParameter' && world.params.has(PREVIOUS)) {
        world.onCall = undefined;
        failNext(world, 'PutParameter', awsError('InternalServerError'));
      }
    };
    await rejection(rotateWritePassword(ssm(), 'dev'));
    expect(world.params.get(PREVIOUS)?.value).to.equal(world.params.get(CURRENT)?.value);
    const rotated = await rotateWritePassword(ssm(), 'dev');
    expect(rotated.previous).to.equal('first-password-aaaaaaaaaaaa');
    expect(world.params.get(CURRENT)?.value).to.equal(rotated.current).and.not.equal('first-password-aaaaaaaaaaaa');
  });

  it('drops the previous one, and says so when there was none', async () => {
    await rotateWritePassword(ssm(), 'dev');
    expect(await changeWritePassword(ssm(), 'dev', 'drop-previous')).to.equal('the previous one dropped: only the current one is accepted');
    expect(world.params.has(PREVIOUS)).to.equal(false);
    expect(await changeWritePassword(ssm(), 'dev', 'drop-previous')).to.equal('only the current one is accepted (there was no previous one)');
    expect((await readWritePasswords(ssm(), 'dev')).previous).to.equal(undefined);
  });

  it('changes nothing in Parameter Store on reload, and says what deploy does instead', async () => {
    const before = new Map(world.params);
    expect(await changeWritePassword(ssm(), 'dev', 'reload')).to.equal('the stored ones brought to the app again');
    expect(world.params).to.deep.equal(before);
  });

  it('says what a rotation through deploy did: a new current one, the previous one still accepted', async () => {
    expect(await changeWritePassword(ssm(), 'dev', 'rotate')).to.equal('rotated: a new one is current, the previous one stays accepted');
    expect(world.params.get(PREVIOUS)?.value).to.equal('first-password-aaaaaaaaaaaa');
    expect(world.params.get(CURRENT)?.value).to.not.equal('first-password-aaaaaaaaaaaa');
  });

  it('passes a failure to drop the previous one through, other than its absence', async () => {
    await rotateWritePassword(ssm(), 'dev');
    failNext(world, 'DeleteParameter', awsError('AccessDeniedException', 'not authorized to perform: ssm:DeleteParameter'));
    expect((await rejection(changeWritePassword(ssm(), 'dev', 'drop-previous'))).name).to.equal('AccessDeniedException');
    expect(world.params.has(PREVIOUS)).to.equal(true);
  });

  it('takes an empty stored password as missing', async () => {
    world.params.set(CURRENT, { value: '', type: 'SecureString', tags: TAGS });
    expect((await rejection(readWritePasswords(ssm(), 'dev'))).message).to.equal(`The write password is missing from Parameter Store (${CURRENT}).`);
  });

  it('passes other failures of the read through (throttling once the SDK\'s retries are spent)', async () => {
    failNext(world, 'GetParameter', awsError('ThrottlingException', 'Rate exceeded'));
    expect((await rejection(readWritePasswords(ssm(), 'dev'))).name).to.equal('ThrottlingException');
  });

  it('names the parameter and the fix when the environment has no write password (provisioned before it existed)', async () => {
    world.params.delete(CURRENT);
    const err = await rejection(readWritePasswords(ssm(), 'dev'));
    expect(err.message).to.equal(`The write password is missing from Parameter Store (${CURRENT}).`);
    expect(err.hint).to.contain('npm run provision -- --env dev');
  });

  it('says which permission is missing when the operator may not read it', async () => {
    failNext(world, 'GetParameter', awsError('AccessDeniedException'));
    const err = await rejection(readWritePasswords(ssm(), 'dev'));
    expect(err.message).to.equal(`Your AWS credentials may not read ${CURRENT}.`);
    expect(err.hint).to.contain('ssm:GetParameter');
  });
});
