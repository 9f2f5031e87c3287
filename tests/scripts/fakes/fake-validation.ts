// What AWS refuses before it changes anything, for the fake account: malformed and oversized IAM
// policy documents, a duplicate ingress rule, and schedules whose expression, target or role
// EventBridge Scheduler would not take. Each names its source; the errors carry AWS's codes.
import * as iam from '@aws-sdk/client-iam';
import * as scheduler from '@aws-sdk/client-scheduler';
import { awsError } from './aws-error.js';

/**
 * IAM quotas (IAM User Guide, "IAM and AWS STS quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
 * a role's inline policies together hold at most 10,240 characters, its trust policy 2,048;
 * IAM does not count white space.
 */
export const ROLE_INLINE_POLICY_CHARS = 10_240;
export const ROLE_TRUST_POLICY_CHARS = 2_048;

const malformed = (message: string) => new iam.MalformedPolicyDocumentException({ message, $metadata: {} });
const countedChars = (doc: string): number => doc.replace(/\s/g, '').length;

/** The grammar IAM checks on every document: JSON, Version 2012-10-17, statements with an Effect and an Action. */
export function checkPolicyDocument(doc: string, { trust = false } = {}): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    throw malformed('Syntax errors in policy.');
  }
  const { Version, Statement } = (parsed ?? {}) as { Version?: unknown; Statement?: unknown };
  if (Version !== '2012-10-17' && Version !== '2008-10-17') throw malformed('The policy failed legacy parsing');
  const statements = Array.isArray(Statement) ? Statement : [Statement];
  if (statements.length === 0 || statements.some((s) => typeof s !== 'object' || s === null)) throw malformed('Syntax errors in policy.');
  for (const s of statements as Record<string, unknown>[]) {
    if (s['Effect'] !== 'Allow' && s['Effect'] !== 'Deny') throw malformed('Invalid effect: ' + String(s['Effect']));
    if (s['Action'] === undefined && s['NotAction'] === undefined) throw malformed('Policy statement must contain actions.');
    if (trust && s['Principal'] === undefined) throw malformed('AssumeRolepolicy contained an invalid principal element.');
    if (!trust && s['Principal'] !== undefined) throw malformed('Policy document should not specify a principal.');
    if (!trust && s['Resource'] === undefined && s['NotResource'] === undefined) throw malformed('Policy statement must contain resources.');
  }
}

/** PutRolePolicy: the document's grammar, then the role's inline total with this one in place of its old version. */
export function checkInlinePolicy(roleName: string, policyName: string, doc: string, existing: Map<string, string>): void {
  checkPolicyDocument(doc);
  const others = [...existing].filter(([name]) => name !== policyName).reduce((n, [, d]) => n + countedChars(d), 0);
  if (others + countedChars(doc) > ROLE_INLINE_POLICY_CHARS) {
    throw new iam.LimitExceededException({ message: `Maximum policy size of ${ROLE_INLINE_POLICY_CHARS} bytes exceeded for role ${roleName}`, $metadata: {} });
  }
}

/** CreateRole: the trust policy's grammar and size. */
export function checkTrustPolicy(doc: string): void {
  checkPolicyDocument(doc, { trust: true });
  if (countedChars(doc) > ROLE_TRUST_POLICY_CHARS) {
    throw new iam.LimitExceededException({ message: `Cannot exceed quota for ACLSizePerRole: ${ROLE_TRUST_POLICY_CHARS}`, $metadata: {} });
  }
}

/** AuthorizeSecurityGroupIngress refuses a rule the group already has, and adds none of the request's rules then. */
export function duplicateIngress(port: number, cidr: string): Error {
  return awsError('InvalidPermission.Duplicate', `the specified rule "peer: ${cidr}, TCP, from port: ${port}, to port: ${port}, ALLOW" already exists`);
}

const invalid = (message: string) => new scheduler.ValidationException({ message, Message: message, $metadata: {} });

/**
 * CreateSchedule/UpdateSchedule (EventBridge Scheduler User Guide, "Schedule types",
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html, and "Universal targets",
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html): the expression is
 * at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(six fields); the target a resource ARN or
 * arn:aws:scheduler:::aws-sdk:service:apiAction; the execution role one Scheduler can assume now.
 */
export function checkSchedule(input: scheduler.CreateScheduleCommandInput, assumable: (roleArn: string) => boolean): void {
  const expression = input.ScheduleExpression ?? '';
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  const valid = at ? !Number.isNaN(Date.parse(`${at.slice(1, 4).join('-')}T${at.slice(4, 7).join(':')}Z`)) : /^rate\(\d+ (minutes?|hours?|days?)\)$/.test(expression) || /^cron\((\S+ ){5}\S+\)$/.test(expression);
  if (!valid) throw invalid(`Invalid Schedule Expression ${expression}.`);
  if (input.FlexibleTimeWindow?.Mode === undefined) throw invalid('FlexibleTimeWindow is required.');
  const target = input.Target?.Arn ?? '';
  if (!/^arn:aws[a-z-]*:scheduler:::aws-sdk:[a-z0-9]+:[a-zA-Z]+$/.test(target) && !/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/.test(target)) throw invalid(`Invalid target arn ${target}.`);
  const role = input.Target?.RoleArn ?? '';
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(role)) throw invalid(`Invalid RoleArn ${role}.`);
  if (!assumable(role)) throw invalid('The execution role you provide must allow AWS EventBridge Scheduler to assume the role.');
}
