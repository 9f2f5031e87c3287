// npm run render-user-data: prints the user-data provision would send, for review and for
// `cloud-init schema` in CI. Needs no AWS; what it cannot look up gets a placeholder value.
import { sourceKey } from './lib/aws/bucket-keys.js';
import { renderCheckedUserData } from './lib/box/user-data.js';
import { runWhenEntry, sourcesOf, type CliDeps } from './lib/core/cli.js';
import { helpText, loadConfig } from './lib/core/config.js';
import { resolveCommit } from './lib/core/git.js';
import { DEFAULT_TTL_HOURS, provisionSchema, renderUserDataCommand } from './lib/provision/config.js';

export async function main(argv: string[], deps: CliDeps): Promise<void> {
  if (argv.includes('--help')) {
    deps.stdout.write(helpText(renderUserDataCommand));
    return;
  }
  const sources = sourcesOf(argv, deps);
  const cfg = await loadConfig(renderUserDataCommand.fields, provisionSchema, sources, deps.git, { env: 'preview' });
  const gitSha = await resolveCommit(deps.git, cfg.ref).catch(() => '0'.repeat(40));
  // An empty AWS_REGION is no region: the preview falls back as the SDK would not, so the bucket name stays whole.
  const region = cfg.region ?? (sources.env.AWS_REGION || 'us-east-1');
  const expiresAt = new Date(deps.clock.now() + (cfg.ttlHours ?? DEFAULT_TTL_HOURS) * 3_600_000);
  // The account and the archive's digest are known only with AWS and a real archive.
  const source = { key: sourceKey(cfg.env, gitSha), sha256: '0'.repeat(64) };
  // Provision picks the range from the running box or the operator's address; the preview shows --ci's.
  const allowedCidr = cfg.allowedCidr ?? '0.0.0.0/0';
  // The text, for review and `cloud-init schema`; provision sends it gzip-compressed.
  deps.stdout.write(renderCheckedUserData({ env: cfg.env, region, domain: cfg.domain, allowedCidr, accountId: '000000000000', gitSha, source, expiresAt, appImage: cfg.appImage }).text);
}

await runWhenEntry(import.meta.url, main);
