import { expect } from 'chai';
import { checkInstanceType } from '../../../scripts/lib/doctor/instance-type.js';
import { anAccount, fakeClients, type Account } from './fake-account.js';

const offered = (type: string, zones: string[]) => zones.map((z) => ({ type, zone: `eu-west-1${z}` }));

describe('doctor: instance type', () => {
  let fake: ReturnType<typeof fakeClients>;
  afterEach(() => fake.restore());
  const check = (account: Account, type: string) => {
    fake = fakeClients(account);
    return checkInstanceType(fake.clients.ec2, account.region, type);
  };
  const sent = () => fake.sent.DescribeInstanceTypeOfferings ?? [];

  it('finds the type in the region and counts its zones, following NextToken through empty filtered pages', async () => {
    const account = anAccount({ pageSize: 2, offerings: [...offered('t3.micro', ['a', 'b', 'c']), ...offered('t3.medium', ['a', 'b']), ...offered('m7i.large', ['a'])] });
    const result = await check(account, 't3.medium');
    expect(result.detail).to.equal('t3.medium offered in eu-west-1, 2 zones (eu-west-1a, eu-west-1b)');
    const filter = [{ Name: 'instance-type', Values: ['t3.medium'] }];
    expect(sent()).to.deep.equal([
      { LocationType: 'region', Filters: filter },
      { LocationType: 'region', Filters: filter, NextToken: '2' },
      { LocationType: 'availability-zone', Filters: filter },
      { LocationType: 'availability-zone', Filters: filter, NextToken: '2' },
      { LocationType: 'availability-zone', Filters: filter, NextToken: '4' },
    ]);
  });

  it('fails a type the region does not offer, listing the types to pick from', async () => {
    const result = await check(anAccount({ offerings: offered('t3.micro', ['a']) }), 'm7i.large');
    expect(result.status).to.equal('fail');
    expect(result.detail).to.equal('eu-west-1 does not offer m7i.large');
    expect(result.fix).to.match(/^Pick another region with --region, or another type with --instance-type or PILLBOX_INSTANCE_TYPE: t3\.medium, .*m6a\.large\.$/);
    expect(sent().map((input) => (input as { LocationType?: string }).LocationType)).to.deep.equal(['region']);
  });

  it('fails a type that is not on pillbox\'s list before asking AWS', async () => {
    const result = await check(anAccount(), 't2.micro');
    expect(result.status).to.equal('fail');
    expect(result.detail).to.equal("t2.micro is not on pillbox's list");
    expect(sent()).to.deep.equal([]);
  });
});
