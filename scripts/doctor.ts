// npm run doctor [-- --region <r>] [--instance-type <t>] [--json]: checks this machine, the AWS
// credentials and the account before anything is spent. Exit 1 when a check fails.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemProbe } from './lib/box/session-manager.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText } from './lib/core/config.js';
import { doctorCommand, loadDoctorConfig } from './lib/doctor/config.js';
import type { LocalTools } from './lib/doctor/local-tools.js';
import { POLICY_FILE } from './lib/doctor/permissions.js';
import { parsePolicyDocument } from './lib/doctor/policy-scopes.js';
import { doctorFailed, doctorJson, renderReport } from './lib/doctor/report.js';
import { runDoctor } from './lib/doctor/run.js';

/** The Node that runs this, and how the local programs are looked for. */
export type DoctorMachine = { machine: Pick<LocalTools, 'probe' | 'nodeVersion'> };

export async function main(argv: string[], deps: CliDeps & DoctorMachine): Promise<void> {
  const cfg = loadDoctorConfig(sourcesOf(argv, deps));
  if (cfg.help) return void deps.stdout.write(helpText(doctorCommand));
  const clients = deps.awsClients(cfg.region);
  const nodeVersionFile = join(deps.repoDir, '.node-version');
  const results = await runDoctor(
    {
      ...deps.machine,
      pinnedNode: existsSync(nodeVersionFile) ? readFileSync(nodeVersionFile, 'utf8') : undefined,
      region: () => clients.ec2.config.region(),
      sts: clients.sts,
      ec2: clients.ec2,
      iam: clients.iam,
      ssm: clients.ssm,
      kms: clients.kms,
      policy: parsePolicyDocument(readFileSync(join(deps.repoDir, POLICY_FILE), 'utf8'), POLICY_FILE),
    },
    { instanceType: cfg.instanceType },
  );
  deps.stdout.write(cfg.json ? doctorJson(results) : renderReport(results));
  if (doctorFailed(results)) process.exitCode = 1;
}

await runWhenEntry(import.meta.url, main, { machine: { probe: systemProbe, nodeVersion: process.versions.node } });
