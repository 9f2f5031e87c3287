// npm run render-user-data: prints the user-data provision would send, for review and for
// `cloud-init schema` in CI. Needs no AWS; what it cannot look up gets a placeholder value.
import { renderCheckedUserData } from './lib/box/user-data.js';
import { helpText, loadConfig, processSources } from './lib/core/config.js';
import { originUrl, resolveCommit, systemGit } from './lib/core/git.js';
import { runCli } from './lib/core/operator-error.js';
import { DEFAULT_TTL_HOURS, provisionSchema, renderUserDataCommand } from './lib/provision/config.js';

await runCli(async (argv) => {
  if (argv.includes('--help')) {
    process.stdout.write(helpText(renderUserDataCommand));
    return;
  }
  const git = systemGit();
  const sources = processSources(argv);
  const cfg = await loadConfig(renderUserDataCommand.fields, provisionSchema, sources, git, {
    env: 'preview',
    repoUrl: (await originUrl(git)) ?? 'https://github.com/example/pillbox',
  });
  const gitSha = await resolveCommit(git, cfg.ref).catch(() => '0'.repeat(40));
  const region = cfg.region ?? sources.env.AWS_REGION ?? 'us-east-1';
  const expiresAt = new Date(Date.now() + (cfg.ttlHours ?? DEFAULT_TTL_HOURS) * 3_600_000);
  process.stdout.write(renderCheckedUserData({ env: cfg.env, region, domain: cfg.domain, repoUrl: cfg.repoUrl, gitSha, expiresAt, appImage: cfg.appImage }));
});
