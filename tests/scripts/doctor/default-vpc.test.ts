import { expect } from 'chai';
import { checkDefaultVpc } from '../../../scripts/lib/doctor/default-vpc.js';
import { anAccount, fakeClients, type Account } from './fake-account.js';

const subnet = (id: string, zone: string, more: Partial<Account['subnets'][number]> = {}) => ({ id, vpcId: 'vpc-0default', zone: `eu-west-1${zone}`, defaultForAz: true, publicIp: true, ...more });

describe('doctor: default VPC', () => {
  let fake: ReturnType<typeof fakeClients>;
  afterEach(() => fake.restore());
  const check = (account: Account) => {
    fake = fakeClients(account);
    return checkDefaultVpc(fake.clients.ec2, account.region);
  };

  it('finds the default VPC and its default subnets, reading every page (filters apply after paging)', async () => {
    const account = anAccount({
      pageSize: 2,
      subnets: [subnet('subnet-c', 'c'), subnet('subnet-x', 'a', { vpcId: 'vpc-other' }), subnet('subnet-y', 'b', { defaultForAz: false }), subnet('subnet-a', 'a'), subnet('subnet-b', 'b')],
    });
    const result = await check(account);
    expect(result.status).to.equal('ok');
    expect(result.detail).to.equal('vpc-0default, default subnets in eu-west-1a, eu-west-1b, eu-west-1c');
    expect(fake.sent.DescribeVpcs?.[0]).to.deep.equal({ Filters: [{ Name: 'is-default', Values: ['true'] }] });
    const sent = (fake.sent.DescribeSubnets ?? []) as { NextToken?: string; Filters?: object[] }[];
    expect(sent.map((i) => i.NextToken)).to.deep.equal([undefined, '2', '4']);
    for (const input of sent) {
      expect(input.Filters).to.deep.equal([
        { Name: 'vpc-id', Values: ['vpc-0default'] },
        { Name: 'default-for-az', Values: ['true'] },
      ]);
    }
  });

  it('fails a region without a default VPC, with the command that creates one', async () => {
    const result = await check(anAccount({ defaultVpcId: undefined }));
    expect(result).to.deep.equal({ name: 'default vpc', status: 'fail', detail: 'eu-west-1 has no default VPC', fix: 'Create one: aws ec2 create-default-vpc --region eu-west-1' });
    expect(fake.sent.DescribeSubnets).to.equal(undefined);
  });

  it('fails a default VPC whose default subnets were deleted', async () => {
    const result = await check(anAccount({ subnets: [subnet('subnet-y', 'b', { defaultForAz: false })] }));
    expect(result.status).to.equal('fail');
    expect(result.detail).to.equal('vpc-0default has no default subnet');
    expect(result.fix).to.equal('Create one per zone: aws ec2 create-default-subnet --availability-zone eu-west-1a --region eu-west-1');
  });

  it('warns when a default subnet gives no public IPv4 (a box there never reaches SSM)', async () => {
    const result = await check(anAccount({ subnets: [subnet('subnet-a', 'a'), subnet('subnet-b', 'b', { publicIp: false })] }));
    expect(result.status).to.equal('warn');
    expect(result.detail).to.equal('vpc-0default: subnet-b (eu-west-1b) assigns no public IPv4, so a box launched there never reaches SSM');
    expect(result.fix).to.equal('Turn it on: aws ec2 modify-subnet-attribute --map-public-ip-on-launch --subnet-id subnet-b --region eu-west-1');
  });

  it('fails when no default subnet gives a public IPv4', async () => {
    const result = await check(anAccount({ subnets: [subnet('subnet-a', 'a', { publicIp: false }), subnet('subnet-b', 'b', { publicIp: false })] }));
    expect(result.status).to.equal('fail');
    expect(result.fix).to.contain('(and for the others)');
  });
});
