import { expect } from 'chai';
import { commonSchema, parseConfig } from '../../../scripts/lib/core/config.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { deployFields, deployRef, deploySchema } from '../../../scripts/lib/deploy/config.js';
import { loadDoctorConfig } from '../../../scripts/lib/doctor/config.js';
import { kibanaFields, kibanaSchema } from '../../../scripts/lib/kibana/config.js';
import { sessionFields } from '../../../scripts/lib/session/config.js';

const BOX_COMMIT = 'b'.repeat(40);
const deployWith = (argv: string[], env: Record<string, string> = {}) => parseConfig(deployFields, deploySchema, { argv, env }, { env: 'main', healthTimeout: '180' });

describe('command flags', () => {
  it('refuses --json where nothing is printed as JSON, in one line naming the flags the command takes', () => {
    expect(() => parseConfig(sessionFields, commonSchema, { argv: ['--json'], env: {} }, { env: 'main' }))
      .to.throw(OperatorError, /^Unknown option '--json'$/)
      .with.property('hint', 'This command takes --env, --region, --debug, --help; --help says what each does.');
  });

  it('refuses --json on kibana, which holds a port forward open', () => {
    expect(() => parseConfig(kibanaFields, kibanaSchema, { argv: ['--json'], env: {} }, { env: 'main', port: '5601' })).to.throw(OperatorError, /^Unknown option '--json'$/);
  });

  it('refuses --plan on deploy, which has no plan to show', () => {
    expect(() => deployWith(['--plan']))
      .to.throw(OperatorError, /^Unknown option '--plan'$/)
      .with.property('hint')
      .that.matches(/^This command takes --env, --region, --json, --debug, --help, --ref, /);
  });

  it('deploys the commit PILLBOX_REF names, as provision launches it; --ref wins over it; HEAD without either', () => {
    expect(deployWith([], { PILLBOX_REF: 'v1.2.0' }).ref).to.equal('v1.2.0');
    expect(deployWith(['--ref', 'main'], { PILLBOX_REF: 'v1.2.0' }).ref).to.equal('main');
    expect(deployRef(deployWith([]).ref, undefined, BOX_COMMIT)).to.equal('HEAD');
  });

  it('changes the write password on the commit the box runs unless a ref is given, not on what is checked out here', () => {
    const cfg = deployWith(['--write-password', 'rotate']);
    expect(deployRef(cfg.ref, cfg.writePassword, BOX_COMMIT)).to.equal(BOX_COMMIT);
    const named = deployWith(['--write-password', 'reload', '--ref', 'v2.0.0']);
    expect(deployRef(named.ref, named.writePassword, BOX_COMMIT)).to.equal('v2.0.0');
    expect(() => deployRef(cfg.ref, cfg.writePassword, undefined)).to.throw(OperatorError, /^The box has no GitSha tag/);
  });

  it('takes --debug on doctor as on every other command', () => {
    expect(loadDoctorConfig({ argv: ['--debug'], env: {} }).debug).to.equal(true);
  });
});
