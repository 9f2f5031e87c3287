import { expect } from 'chai';
import { instancePolicy, SSM_AGENT_ACTIONS } from '../../../scripts/lib/aws/instance-policy.js';

describe('instance policy', () => {
  const doc = instancePolicy({ env: 'dev', region: 'eu-west-1', accountId: '123456789012' });

  it('grants the SSM agent its channels and nothing that reads parameters account-wide', () => {
    const agent = doc.Statement.find((s) => s.Sid === 'SsmAgent');
    expect(agent?.Resource).to.equal('*');
    expect(agent?.Action).to.deep.equal(SSM_AGENT_ACTIONS);
    expect(SSM_AGENT_ACTIONS.some((a) => a.startsWith('ssm:GetParameter') || a.includes('*'))).to.equal(false);
  });

  it('reads parameters under its own environment path only', () => {
    const own = doc.Statement.find((s) => s.Sid === 'OwnParameters');
    expect(own?.Resource).to.deep.equal(['arn:aws:ssm:eu-west-1:123456789012:parameter/pillbox/dev', 'arn:aws:ssm:eu-west-1:123456789012:parameter/pillbox/dev/*']);
    expect(JSON.stringify(doc)).not.to.match(/kms:|iam:|s3:/);
  });

  it('may switch the CPU credits of its own environment\'s instances only, and do nothing else in EC2', () => {
    const ec2 = doc.Statement.filter((s) => JSON.stringify(s.Action).includes('ec2:'));
    expect(ec2).to.deep.equal([
      {
        Sid: 'OwnCreditSpecification',
        Effect: 'Allow',
        Action: 'ec2:ModifyInstanceCreditSpecification',
        Resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/*',
        Condition: { StringEquals: { 'aws:ResourceTag/Env': 'dev', 'aws:ResourceTag/ManagedBy': 'pillbox' } },
      },
    ]);
    expect(doc.Statement).to.have.length(3);
  });
});
