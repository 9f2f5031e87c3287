// npm run doctor [-- --region <r>] [--instance-type <t>] [--json]: checks this machine, the AWS
// credentials and the account before anything is spent. Exit 1 when a check fails.
import { KMSClient } from '@aws-sdk/client-kms';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemProbe } from './lib/box/session-manager.js';
import { clientConfig, createAwsClients } from './lib/core/aws-clients.js';
import { helpText, processSources } from './lib/core/config.js';
import { runCli } from './lib/core/operator-error.js';
import { doctorCommand, loadDoctorConfig } from './lib/doctor/config.js';
import { POLICY_FILE } from './lib/doctor/permissions.js';
import { parsePolicyDocument } from './lib/doctor/policy-scopes.js';
import { doctorFailed, doctorJson, renderReport } from './lib/doctor/report.js';
import { runDoctor } from './lib/doctor/run.js';

const repoFile = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url));

await runCli(async (argv) => {
  const cfg = loadDoctorConfig(processSources(argv));
  if (cfg.help) return void process.stdout.write(helpText(doctorCommand));
  const clients = createAwsClients(cfg.region);
  const nodeVersionFile = repoFile('.node-version');
  const results = await runDoctor(
    {
      probe: systemProbe,
      nodeVersion: process.versions.node,
      pinnedNode: existsSync(nodeVersionFile) ? readFileSync(nodeVersionFile, 'utf8') : undefined,
      region: () => clients.ec2.config.region(),
      sts: clients.sts,
      ec2: clients.ec2,
      iam: clients.iam,
      ssm: clients.ssm,
      // Only the doctor reads KMS: made here, not with every command's clients.
      kms: new KMSClient(clientConfig(cfg.region)),
      policy: parsePolicyDocument(readFileSync(repoFile(POLICY_FILE), 'utf8'), POLICY_FILE),
    },
    { instanceType: cfg.instanceType },
  );
  process.stdout.write(cfg.json ? doctorJson(results) : renderReport(results));
  if (doctorFailed(results)) process.exitCode = 1;
});
