// The write password from SSM to both app colors, and the stack workflow authenticating with it.
import { expect } from 'chai';
import { SECRET_NAMES } from '../../scripts/lib/aws/secrets.js';
import { interpolate, loadCompose, readText } from './compose-files.js';

const compose = loadCompose('compose/compose.yaml');
const CURRENT = '${WRITE_PASSWORD:?WRITE_PASSWORD is not set; add it to /etc/pillbox/secrets.env}';

describe('the write password in the stack', () => {
  it('is one of the secrets provision generates, so the box fetches it into secrets.env with the others', () => {
    expect(SECRET_NAMES).to.include('WRITE_PASSWORD');
    expect(SECRET_NAMES, 'the previous one exists only during a rotation').to.not.include('WRITE_PASSWORD_PREVIOUS');
  });

  it('reaches both app colors as the current password, required, then the previous one when a rotation left one', () => {
    for (const color of ['app', 'app-next']) {
      expect(compose.services[color]?.environment?.['WRITE_PASSWORDS'], color).to.equal(`${CURRENT},\${WRITE_PASSWORD_PREVIOUS:-}`);
    }
    const value = compose.services['app']!.environment!['WRITE_PASSWORDS']!;
    expect(interpolate(value, { WRITE_PASSWORD: 'new-one' })).to.equal('new-one,');
    expect(interpolate(value, { WRITE_PASSWORD: 'new-one', WRITE_PASSWORD_PREVIOUS: 'old-one' })).to.equal('new-one,old-one');
  });

  it('reaches no other service', () => {
    const holders = Object.entries(compose.services).filter(([, s]) => JSON.stringify(s.environment ?? {}).includes('WRITE_PASSWORD')).map(([n]) => n);
    expect(holders.sort()).to.deep.equal(['app', 'app-next']);
  });

  describe('the stack workflow', () => {
    const workflow = readText('.github/workflows/stack.yml');

    it('writes a throwaway value for every secret provision generates', () => {
      const loop = workflow.match(/for name in ([^;]+); do/)?.[1]?.split(/[\s\\]+/).filter(Boolean);
      expect(loop?.sort()).to.deep.equal([...SECRET_NAMES].sort());
    });

    it('sends every write with the password from a curl config file, never on a command line', () => {
      const writes = workflow.split('\n').filter((line) => /curl .*-X (POST|PATCH|DELETE)/.test(line));
      expect(writes).to.have.length.greaterThan(2);
      const authenticated = writes.filter((line) => line.includes('-K "$WRITE_AUTH"'));
      const refused = writes.filter((line) => !line.includes('-K "$WRITE_AUTH"'));
      expect(authenticated, 'the burst and the invalid body').to.have.length(2);
      expect(refused.join('\n'), 'the one write without it, expected to be refused').to.match(/unauthorized=/);
      expect(workflow).to.match(/printf 'header = "Authorization: Bearer %s"\\n' "\$value" > "\$WRITE_AUTH"/);
      expect(workflow).to.not.match(/Authorization: Bearer \$WRITE_PASSWORD|-u [^ ]*:\$/);
    });
  });
});
