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
    expect(doc.Statement).to.have.length(2);
    expect(JSON.stringify(doc)).not.to.match(/kms:|iam:|ec2:|s3:/);
  });
});
