import { expect } from 'chai';
import { bootstrapReport, parseBootstrapReport, parseBootstrapStatus } from '../../../scripts/lib/box/bootstrap-status.js';
import { BOOTSTRAP_LOG, BOOTSTRAP_STATUS } from '../../../scripts/lib/box/layout.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { BoxRoot } from '../../cloud-init/box-root.js';

describe('bootstrap status', () => {
  it('reads a failed step with its exit code', () => {
    expect(parseBootstrapStatus('state=failed\nstep=checkout\nexit=128\n')).to.deep.equal({ state: 'failed', step: 'checkout', exitCode: 128 });
  });

  it('reads a running step without an exit code', () => {
    expect(parseBootstrapStatus('state=running\nstep=docker-plugins\n')).to.deep.equal({ state: 'running', step: 'docker-plugins' });
  });

  it('knows nothing from an empty, partial or unknown status', () => {
    expect(parseBootstrapStatus('')).to.equal(undefined);
    expect(parseBootstrapStatus('state=running\n')).to.equal(undefined);
    expect(parseBootstrapStatus('state=exploded\nstep=x\n')).to.equal(undefined);
  });

  describe('the report command, run by a real shell', () => {
    let box: BoxRoot;
    beforeEach(() => (box = new BoxRoot()));
    afterEach(() => box.remove());
    const report = () => parseBootstrapReport(box.run('sh', box.relocate(toShellLine(bootstrapReport(2)))).stdout);

    it('gives the status and the last lines of the log', () => {
      box.write(BOOTSTRAP_STATUS, 'state=failed\nstep=checkout\nexit=128\n');
      box.write(BOOTSTRAP_LOG, '== pillbox-bootstrap: checkout\nfatal: not our ref\n== pillbox-bootstrap: checkout failed (exit 128)\n');
      expect(report()).to.deep.equal({ status: { state: 'failed', step: 'checkout', exitCode: 128 }, logTail: 'fatal: not our ref\n== pillbox-bootstrap: checkout failed (exit 128)' });
    });

    it('says nothing, without failing, before the bootstrap has started', () => {
      expect(report()).to.deep.equal({ status: undefined, logTail: '' });
    });
  });
});
