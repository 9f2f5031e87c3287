import { expect } from 'chai';
import { bootstrapReport, parseBootstrapReport, parseBootstrapStatus } from '../../../scripts/lib/box/bootstrap-status.js';
import { BOOTSTRAP_LOG, BOOTSTRAP_STATUS } from '../../../scripts/lib/box/layout.js';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { BoxRoot } from '../../cloud-init/box-root.js';

describe('bootstrap status', () => {
  it('reads a failed step with its exit code', () => {
    expect(parseBootstrapStatus('state=failed\nstep=source\nexit=65\n')).to.deep.equal({ state: 'failed', step: 'source', exitCode: 65 });
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
      box.write(BOOTSTRAP_STATUS, 'state=failed\nstep=source\nexit=65\n');
      box.write(BOOTSTRAP_LOG, '== pillbox-bootstrap: source\nchecksum mismatch\n== pillbox-bootstrap: source failed (exit 65)\n');
      expect(report()).to.deep.equal({ status: { state: 'failed', step: 'source', exitCode: 65 }, logTail: 'checksum mismatch\n== pillbox-bootstrap: source failed (exit 65)' });
    });

    it('says nothing, without failing, before the bootstrap has started', () => {
      expect(report()).to.deep.equal({ status: undefined, logTail: '' });
    });
  });
});
