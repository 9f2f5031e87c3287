import { expect } from 'chai';
import { backupCommand } from '../../../scripts/lib/backup/plan.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import {
  applyCommand,
  downloadCommand,
  removeFilesCommand,
  renderSqlCommand,
  restoreFiles,
  rowCountsCommand,
  startAppCommand,
  stopAppCommand,
} from '../../../scripts/lib/restore/plan.js';

const COMPOSE =
  'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env';
const files = restoreFiles('feedc0de');

describe('the commands backup and restore send to the box', () => {
  it('backs up with the box\'s own script, naming why', () => {
    expect(toShellLine(backupCommand('pre-replace'))).to.equal('/usr/local/sbin/pillbox-backup pre-replace');
  });

  it('keeps its files on the root volume, named by a hex id only', () => {
    expect(restoreFiles('feedc0de')).to.deep.equal({ dump: '/var/lib/pillbox/work/restore-feedc0de.dump', sql: '/var/lib/pillbox/work/restore-feedc0de.sql' });
    expect(() => restoreFiles('../../etc')).to.throw(/lowercase hex/);
    for (const id of ['x/feedc0de', 'feedc0de/x', 'FEEDC0DE', 'feedc0d']) expect(() => restoreFiles(id), id).to.throw(`restore id must be lowercase hex, got ${JSON.stringify(id)}`);
  });

  it('downloads through the checksum-checking S3 script', () => {
    expect(toShellLine(downloadCommand('envs/dev/backups/20261121T030000Z.dump', 'ab'.repeat(32), files.dump))).to.equal(
      `/usr/local/sbin/pillbox-s3 get envs/dev/backups/20261121T030000Z.dump ${'ab'.repeat(32)} /var/lib/pillbox/work/restore-feedc0de.dump`,
    );
  });

  it('renders the dump as SQL inside the postgres container, files passed as parameters', () => {
    expect(toShellLine(renderSqlCommand(files))).to.equal(
      `sh -c 'i=$1; o=$2; shift 2; exec "$@" <"$i" >"$o"' sh /var/lib/pillbox/work/restore-feedc0de.dump /var/lib/pillbox/work/restore-feedc0de.sql ${COMPOSE} exec -T postgres pg_restore --file=-`,
    );
  });

  it('applies it in one transaction that first drops the app schema, stopping at the first error', () => {
    expect(toShellLine(applyCommand(files))).to.equal(
      `sh -c 'i=$1; shift; exec "$@" <"$i"' sh /var/lib/pillbox/work/restore-feedc0de.sql ${COMPOSE} exec -T postgres psql --username=postgres --dbname=pillbox --no-password --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --single-transaction '--command=DROP SCHEMA IF EXISTS pillbox CASCADE' --file=-`,
    );
  });

  it('stops and starts only the app, waiting until it is healthy', () => {
    expect(toShellLine(stopAppCommand())).to.equal(`${COMPOSE} stop app`);
    expect(toShellLine(startAppCommand(180))).to.equal(`${COMPOSE} up --detach --no-deps --wait --wait-timeout 180 app`);
  });

  it('counts rows with one query, and cleans up both files', () => {
    expect(toShellLine(rowCountsCommand())).to.match(new RegExp(`^${COMPOSE} exec -T postgres psql --username=postgres --dbname=pillbox --no-password --no-psqlrc --no-align --tuples-only '--command=SELECT c.relname,`));
    expect(toShellLine(removeFilesCommand(files))).to.equal('rm -f -- /var/lib/pillbox/work/restore-feedc0de.dump /var/lib/pillbox/work/restore-feedc0de.sql');
  });
});
