import { expect } from 'chai';
import type { BackupEntry } from '../../../scripts/lib/aws/backup-catalog.js';
import { backupRows, renderBackups } from '../../../scripts/lib/backups/report.js';

const entry = (env: string, stamp: string, bytes: number, complete = true): BackupEntry => ({
  env,
  stamp,
  at: new Date(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:00Z`),
  key: `envs/${env}/backups/${stamp}.dump`,
  bytes,
  complete,
});
const NOW = new Date('2026-11-21T12:00:00Z');

describe('npm run backups', () => {
  const entries = [entry('dev', '20261121T100000Z', 0, false), entry('dev', '20261121T030000Z', 84_000), entry('prod', '20261121T020000Z', 2_500_000), entry('dev', '20261120T030000Z', 80_000)];

  it('marks the latest complete backup of each environment, never an incomplete one', () => {
    expect(backupRows(entries, NOW).map((r) => [r.env, r.latest])).to.deep.equal([
      ['dev', false],
      ['dev', true],
      ['prod', true],
      ['dev', false],
    ]);
  });

  it('prints environment, time, size, age and key in aligned columns', () => {
    expect(renderBackups(backupRows(entries, NOW), 'pillbox-123456789012-eu-west-1')).to.equal(
      [
        'Backups in s3://pillbox-123456789012-eu-west-1/ (4)',
        'ENV   TIME                     SIZE    AGE      KEY',
        'dev   2026-11-21 10:00:00 UTC  0 B     2h 00m   envs/dev/backups/20261121T100000Z.dump   incomplete: its upload never finished',
        'dev   2026-11-21 03:00:00 UTC  84 KB   9h 00m   envs/dev/backups/20261121T030000Z.dump   latest',
        'prod  2026-11-21 02:00:00 UTC  2.5 MB  10h 00m  envs/prod/backups/20261121T020000Z.dump  latest',
        'dev   2026-11-20 03:00:00 UTC  80 KB   1d 9h    envs/dev/backups/20261120T030000Z.dump',
        '',
      ].join('\n'),
    );
  });

  it('says how to get a first backup when there is none', () => {
    expect(renderBackups([], 'pillbox-123456789012-eu-west-1', 'dev')).to.equal('No backups of dev in s3://pillbox-123456789012-eu-west-1/. `npm run backup` takes one; every box also takes one nightly.\n');
  });
});
