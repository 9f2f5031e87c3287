// Who the credentials belong to: the account every name and ARN is built in, and its partition (aws, aws-cn, ...).
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

export interface CallerAccount {
  accountId: string;
  arn: string;
  /** From the caller's ARN; undefined leaves ARN builders at `aws`. */
  partition?: string;
}

export async function callerAccount(sts: STSClient): Promise<CallerAccount> {
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  const partition = identity.Arn?.split(':')[1];
  return { accountId: identity.Account ?? '', arn: identity.Arn ?? '', ...(partition ? { partition } : {}) };
}
