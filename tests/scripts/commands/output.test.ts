// What each command prints, run as a user runs it: the usage for --help, the summary table,
// and the same facts as JSON with --json.
import { expect } from 'chai';
import { helpText } from '../../../scripts/lib/core/config.js';
import type { CliDeps } from '../../../scripts/lib/core/cli.js';
import { COMMANDS } from '../../../scripts/lib/docs/commands.js';
import { main as backup } from '../../../scripts/backup.js';
import { main as deploy } from '../../../scripts/deploy.js';
import { main as provision } from '../../../scripts/provision.js';
import { main as restore } from '../../../scripts/restore.js';
import { rejection, useFakeAws, type FakeAws, type World } from '../fakes/fake-aws.js';
import { appBoxes } from '../fakes/fake-app-box.js';
import { cliDeps } from '../fakes/fake-cli.js';
import { keysUnder } from '../fakes/fake-s3.js';
import { gitAtNext, NEXT } from './next-commit.js';

type Main = (argv: string[], deps: CliDeps) => Promise<void>;
const ENTRIES = ['provision', 'teardown', 'status', 'deploy', 'rollback', 'extend', 'exec', 'unlock', 'backup', 'backups', 'restore', 'session', 'kibana', 'logs', 'render-user-data'];
const BUCKET = 'pillbox-123456789012-eu-west-1';

describe('what the commands print', () => {
  let world: World;
  let fake: FakeAws;
  useFakeAws((w, f) => ((world = w), (fake = f)));

  for (const name of ENTRIES) {
    it(`${name} --help prints its usage and touches nothing`, async () => {
      const { main } = (await import(`../../../scripts/${name}.js`)) as { main: Main };
      const cli = cliDeps(fake, { awsClients: () => Promise.reject(new Error('no AWS for --help')) as never });
      await main(['--env', 'dev', '--help'], cli);
      expect(cli.out()).to.equal(helpText(COMMANDS.find((c) => c.name === name)!));
      expect(world.log).to.deep.equal([]);
    });
  }

  describe('on a provisioned box', () => {
    beforeEach(async () => {
      await provision(['--env', 'dev', '--ci'], cliDeps(fake));
      appBoxes(world);
    });
    const dump = () => keysUnder(world, BUCKET, 'envs/dev/backups/').filter((k) => k.endsWith('.dump'));

    it('backup: the environment, the object, its size and digest, the time taken; --json the manifest', async () => {
      const cli = cliDeps(fake);
      await backup(['--env', 'dev'], cli);
      expect(cli.err()).to.match(/^▸ Back up the database of dev \(i-[0-9a-f]+\)\n/);
      expect(cli.out()).to.match(new RegExp(`^environment  dev\\nbackup       s3://${BUCKET}/${dump()[0]}\\nsize         66 B\\nsha256       [0-9a-f]{64}\\ntook         1m04s\\n$`));
      const json = cliDeps(fake);
      await backup(['--env', 'dev', '--json'], json);
      expect(JSON.parse(json.out())).to.deep.include({ env: 'dev', instanceId: world.instances[0]!.id, bucket: BUCKET, key: dump()[1], bytes: 66, reason: 'manual' });
    });

    it('restore: what was restored, where the replaced data went, the rows; --no-backup says so', async () => {
      await backup(['--env', 'dev'], cliDeps(fake));
      const cli = cliDeps(fake);
      await restore(['--env', 'dev', '--from', 'latest', '--yes'], cli);
      const [taken, before] = dump();
      expect(cli.out()).to.match(
        new RegExp(`^environment    dev\\nrestored       ${taken} \\(commit c0ffee0, manual\\)\\nreplaced data  backed up to ${before}\\nrows           medications 3, schema_migrations 1\\ntook           1m32s\\n$`),
      );
      const bare = cliDeps(fake);
      await restore(['--env', 'dev', '--from', taken!, '--yes', '--no-backup', '--json'], bare);
      expect(JSON.parse(bare.out())).to.deep.include({ env: 'dev', instanceId: world.instances[0]!.id, rows: { medications: 3, schema_migrations: 1 } });
      const table = cliDeps(fake);
      await restore(['--env', 'dev', '--from', taken!, '--yes', '--no-backup'], table);
      expect(table.out()).to.include('replaced data  not backed up (--no-backup)\n');
    });

    it('restore: shows each step on stderr as it goes, the table alone on stdout', async () => {
      await backup(['--env', 'dev'], cliDeps(fake));
      const [taken] = dump();
      const cli = cliDeps(fake);
      await restore(['--env', 'dev', '--from', 'latest', '--yes'], cli);
      expect(cli.err().split('\n').filter((l) => l.startsWith('▸ '))).to.deep.equal([
        '▸ Find and verify backup latest',
        '▸ Back up the data the restore replaces',
        `▸ Download ${taken} to the box and check its SHA-256`,
        '▸ Read the whole dump (pg_restore)',
        '▸ Stop the app',
        '▸ Restore in one transaction',
        '▸ Start the app and wait until it is healthy',
        '▸ Count the rows',
      ]);
      expect(cli.out()).not.to.include('▸');
    });

    it('restore: says it aborted, and changed nothing, when the operator answers no', async () => {
      await backup(['--env', 'dev'], cliDeps(fake));
      const cli = cliDeps(fake, { tty: true, ask: async () => 'no' });
      await restore(['--env', 'dev', '--from', 'latest'], cli);
      expect(cli.out()).to.equal('restore  aborted, nothing changed\n');
      expect(dump()).to.have.length(1);
      const json = cliDeps(fake, { tty: true, ask: async () => 'n' });
      await restore(['--env', 'dev', '--from', 'latest', '--json'], json);
      expect(JSON.parse(json.out())).to.deep.equal({ env: 'dev', aborted: true });
    });

    it('restore: stops without --from, before any AWS call', async () => {
      world.log.length = 0;
      const err = await rejection(restore(['--env', 'dev', '--yes'], cliDeps(fake)));
      expect(err.message).to.equal('Missing --from: which backup to restore.');
      expect(err.hint).to.equal('Pass --from latest, or a key from `npm run backups`.');
      expect(world.log).to.deep.equal([]);
    });

    it('deploy: from → to and the rollback image; a second run says unchanged', async () => {
      const cli = cliDeps(fake, { git: gitAtNext() });
      await deploy(['--env', 'dev'], cli);
      // Two quick box commands more than before the alert engine (its pause and resume): 8 s on the fake clock.
      expect(cli.out()).to.match(/^environment {5}dev\ndeployed {8}3f2a1c0 → 4b3a2c1\nrollback image {2}pillbox-app:rollback \([0-9a-f]{12}\)\ntook {12}2m40s\n$/);
      const again = cliDeps(fake, { git: gitAtNext() });
      await deploy(['--env', 'dev'], again);
      expect(again.out()).to.equal('environment  dev\ncommit       4b3a2c1 (unchanged)\n');
      const json = cliDeps(fake, { git: gitAtNext() });
      await deploy(['--env', 'dev', '--json'], json);
      expect(JSON.parse(json.out())).to.deep.equal({ env: 'dev', instanceId: world.instances[0]!.id, status: 'unchanged', commit: NEXT });
    });
  });
});
