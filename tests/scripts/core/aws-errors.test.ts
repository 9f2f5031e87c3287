import { expect } from 'chai';
import { NoSuchEntityException } from '@aws-sdk/client-iam';
import { InvocationDoesNotExist, ParameterNotFound } from '@aws-sdk/client-ssm';
import { describeAwsError, ignoreGone, isGone, isThrottling } from '../../../scripts/lib/core/aws-errors.js';
import { awsError } from '../fakes/fake-aws.js';

const meta = { $metadata: {} };

describe('what an AWS error means', () => {
  it('calls a resource gone by the names SDK v3 gives the errors', () => {
    expect(isGone(new NoSuchEntityException({ message: 'The role cannot be found.', ...meta })), 'IAM').to.equal(true);
    expect(isGone(new ParameterNotFound({ message: 'Parameter not found.', ...meta })), 'SSM').to.equal(true);
    for (const code of ['InvalidGroup.NotFound', 'InvalidInstanceID.NotFound', 'InvalidPermission.NotFound']) expect(isGone(awsError(code)), code).to.equal(true);
  });

  it('does not take "not yet", "in use" or the bare wire code SDK v3 never sets for gone', () => {
    expect(isGone(new InvocationDoesNotExist({ message: 'not yet', ...meta }))).to.equal(false);
    expect(isGone(awsError('DependencyViolation'))).to.equal(false);
    expect(isGone(awsError('NoSuchEntity'))).to.equal(false);
  });

  it('lets a delete of something gone pass and anything else fail', () => {
    expect(ignoreGone(awsError('InvalidGroup.NotFound'))).to.equal(undefined);
    expect(() => ignoreGone(awsError('DependencyViolation'))).to.throw('DependencyViolation');
  });

  it('knows throttling in each service’s words', () => {
    for (const name of ['RequestLimitExceeded', 'ThrottlingException', 'Throttling']) expect(isThrottling(awsError(name)), name).to.equal(true);
    expect(isThrottling(awsError('AccessDenied'))).to.equal(false);
  });

  it('describes an error in one line', () => {
    expect(describeAwsError(awsError('DependencyViolation', 'resource sg-1 has a dependent object\nmore'))).to.equal('DependencyViolation: resource sg-1 has a dependent object');
    expect(describeAwsError(new Error('plain'))).to.equal('plain');
  });
});
