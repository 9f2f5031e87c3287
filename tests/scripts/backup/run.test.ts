import { expect } from 'chai';
import { takeBackup } from '../../../scripts/lib/backup/run.js';
import type { RemoteRunner } from '../../../scripts/lib/box/ssm-output.js';
import { rejection } from '../fakes/fake-aws.js';

const manifest = { key: 'envs/dev/backups/20261121T030000Z.dump', sha256: 'a'.repeat(64), bytes: 2048, reason: 'manual', commit: 'c'.repeat(40) };
const answering =
  (exitCode: number, stdout: string, stderr = ''): RemoteRunner & { sent: string[][] } => {
    const sent: string[][] = [];
    const run = async (argv: readonly string[]) => (sent.push([...argv]), { exitCode, stdout, stderr });
    return Object.assign(run, { sent });
  };

describe('a backup on the box', () => {
  it('runs the box script with the reason and returns the manifest it printed last', async () => {
    const run = answering(0, `pg_dump: warning: something harmless\n${JSON.stringify(manifest)}\n`);
    expect(await takeBackup(run, 'manual')).to.deep.equal(manifest);
    expect(run.sent).to.deep.equal([['/usr/local/sbin/pillbox-backup', 'manual']]);
  });

  it('names a box older than backups (no script) and how to replace it', async () => {
    const err = await rejection(takeBackup(answering(127, '', 'sh: /usr/local/sbin/pillbox-backup: not found'), 'teardown'));
    expect(err.message).to.equal('This box has no backup script: it was provisioned before backups existed.');
    expect(err.hint).to.include('--replace');
  });

  it('shows the last lines of what failed', async () => {
    const err = await rejection(takeBackup(answering(1, '', 'pg_dump: error: connection to server on socket failed\n'), 'manual'));
    expect(err.message).to.equal('The backup failed on the box (exit 1):\npg_dump: error: connection to server on socket failed');
    expect(err.hint).to.include('npm run status');
  });

  it('refuses an answer that is not a manifest', async () => {
    const err = await rejection(takeBackup(answering(0, 'done\n'), 'manual'));
    expect(err.message).to.match(/is not one pillbox wrote/);
    // A backup's advice, not a restore's ("Pick another backup").
    expect(err.hint).to.equal('The backup may not have finished: `npm run backups` lists what reached the bucket; in `npm run session`, `journalctl -u pillbox-backup.service` shows the backup\'s log.');
  });
});
