// The SSM agent registers and takes commands only when its instance role lets it, as IAM decides.
//
// The actions come from the AWS managed policy AmazonSSMManagedInstanceCore (policy version v2,
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSSMManagedInstanceCore.html),
// not from the project's own list, so a role that drops one of them fails here as it would on AWS.
// Of that policy the agent needs, to come online and run commands and sessions, the heartbeat
// ssm:UpdateInstanceInformation and the two message endpoints it polls ("Reference: ec2messages,
// ssmmessages, and other API operations", AWS Systems Manager User Guide,
// https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html).
import { runSimulation } from '@cloud-copilot/iam-simulate';

/** Every action of AmazonSSMManagedInstanceCore v2, as the managed policy document lists them. */
export const MANAGED_INSTANCE_CORE_ACTIONS = [
  'ssm:DescribeAssociation',
  'ssm:GetDeployablePatchSnapshotForInstance',
  'ssm:GetDocument',
  'ssm:DescribeDocument',
  'ssm:GetManifest',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:ListAssociations',
  'ssm:ListInstanceAssociations',
  'ssm:PutInventory',
  'ssm:PutComplianceItems',
  'ssm:PutConfigurePackageResult',
  'ssm:UpdateAssociationStatus',
  'ssm:UpdateInstanceAssociationStatus',
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
];

/** What the agent calls to register and to take Run Command and Session Manager work. */
export const AGENT_ACTIONS = MANAGED_INSTANCE_CORE_ACTIONS.filter((a) => a === 'ssm:UpdateInstanceInformation' || /^(ec2messages|ssmmessages):/.test(a));

const decisions = new Map<string, Promise<string[]>>();

/** The agent actions the role's inline policies do not allow (empty: the agent can register). Cached per set of documents. */
export function agentActionsDenied(roleArn: string, accountId: string, documents: string[]): Promise<string[]> {
  const key = JSON.stringify([roleArn, documents]);
  let decided = decisions.get(key);
  if (!decided) {
    decided = Promise.all(
      AGENT_ACTIONS.map(async (action) => {
        const result = await runSimulation(
          {
            request: { principal: roleArn, action, resource: { resource: '*', accountId }, contextVariables: {} },
            identityPolicies: documents.map((policy, i) => ({ name: `inline-${i}`, policy: JSON.parse(policy) as object })),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          },
          {},
        );
        return result.resultType !== 'error' && result.overallResult === 'Allowed' ? undefined : action;
      }),
    ).then((denied) => denied.filter((a): a is string => a !== undefined));
    decisions.set(key, decided);
  }
  return decided;
}
