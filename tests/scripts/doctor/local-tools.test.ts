import { expect } from 'chai';
import type { Probe } from '../../../scripts/lib/box/session-manager.js';
import { checkAwsCli, checkGit, checkLocalTools, checkNode, checkSessionPlugin } from '../../../scripts/lib/doctor/local-tools.js';

/** A machine with the given programs; records every probe as `command args`. */
function machine(have: Record<string, string>) {
  const asked: string[] = [];
  const probe: Probe = async (command, args) => {
    asked.push([command, ...args].join(' '));
    const output = have[command];
    return output === undefined ? { found: false, output: `${command}: not found on PATH` } : { found: true, output };
  };
  return { probe, asked };
}

const V2 = 'aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0 exe/x86_64.debian.12\n';

describe('doctor: local tools', () => {
  describe('node', () => {
    it('passes the pinned release and says which it compared with', () => {
      expect(checkNode('24.22.3', '24.22.3\n')).to.deep.equal({ name: 'node', status: 'ok', detail: '24.22.3 (.node-version 24.22.3)' });
    });

    it('fails Node 20 and names the major pillbox needs and how to install the pinned release', () => {
      const result = checkNode('20.19.1', '24.22.3\n');
      expect(result.status).to.equal('fail');
      expect(result.detail).to.equal('Node 20.19.1 runs this; pillbox needs Node 24 (.node-version pins 24.22.3)');
      expect(result.fix).to.equal('Install Node 24.22.3: `nvm install 24.22.3`, then npm ci.');
    });

    it('warns about an older release of the same major (engines want a recent 24)', () => {
      const result = checkNode('24.1.0', '24.22.3');
      expect(result.status).to.equal('warn');
      expect(result.detail).to.equal('24.1.0 is older than the pinned 24.22.3');
    });

    it('accepts a newer release of the same major', () => {
      expect(checkNode('24.30.0', 'v24.22.3').status).to.equal('ok');
    });

    it('warns when there is no .node-version to compare with', () => {
      expect(checkNode('24.22.3', undefined).status).to.equal('warn');
    });
  });

  describe('git', () => {
    it('shows the version it found', async () => {
      const { probe, asked } = machine({ git: 'git version 2.39.5\n' });
      expect(await checkGit(probe)).to.deep.equal({ name: 'git', status: 'ok', detail: 'git version 2.39.5' });
      expect(asked).to.deep.equal(['git --version']);
    });

    it('fails with the install page when git is missing', async () => {
      const result = await checkGit(machine({}).probe);
      expect(result.status).to.equal('fail');
      expect(result.fix).to.equal('Install git: https://git-scm.com/downloads');
    });
  });

  describe('aws cli', () => {
    it('passes AWS CLI v2 and shows its version', async () => {
      const { probe, asked } = machine({ aws: V2 });
      expect(await checkAwsCli(probe)).to.deep.equal({ name: 'aws cli', status: 'ok', detail: 'aws-cli/2.17.20' });
      expect(asked).to.deep.equal(['aws --version']);
    });

    it('warns about AWS CLI v1 (only session and kibana need v2)', async () => {
      const result = await checkAwsCli(machine({ aws: 'aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11\n' }).probe);
      expect(result.status).to.equal('warn');
      expect(result.detail).to.equal('aws-cli/1.45.11 is on PATH; only session and kibana need AWS CLI v2');
      expect(result.fix).to.equal('Install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html');
    });

    it('warns about a missing aws, without failing the doctor', async () => {
      const result = await checkAwsCli(machine({}).probe);
      expect(result.status).to.equal('warn');
      expect(result.detail).to.contain('`aws` is not on PATH');
    });

    it('warns about an `aws` that does not say aws-cli/2, quoting what it said', async () => {
      const result = await checkAwsCli(machine({ aws: 'Traceback (most recent call last):\n  File ...' }).probe);
      expect(result.status).to.equal('warn');
      expect(result.detail).to.equal('`aws --version` printed "Traceback (most recent call last):"; only session and kibana need AWS CLI v2');
    });
  });

  describe('session-manager-plugin', () => {
    it('shows the version it found', async () => {
      const { probe, asked } = machine({ 'session-manager-plugin': '1.2.650.0\n' });
      expect((await checkSessionPlugin(probe)).detail).to.equal('1.2.650.0');
      expect(asked).to.deep.equal(['session-manager-plugin --version']);
    });

    it('warns with the install page when it is missing', async () => {
      const result = await checkSessionPlugin(machine({ aws: V2 }).probe);
      expect(result.status).to.equal('warn');
      expect(result.fix).to.equal('Install it: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html');
    });
  });

  it('reports a probe that blew up as that tool failing, and still checks the others', async () => {
    const probe: Probe = async (command) => {
      if (command === 'aws') throw new Error('spawn EACCES');
      return { found: true, output: command === 'git' ? 'git version 2.39.5' : '1.2.650.0' };
    };
    const results = await checkLocalTools({ probe, nodeVersion: '24.22.3', pinnedNode: '24.22.3' });
    expect(results.map((r) => [r.name, r.status])).to.deep.equal([
      ['node', 'ok'],
      ['git', 'ok'],
      ['aws cli', 'fail'],
      ['session-manager-plugin', 'ok'],
    ]);
    expect(results[2]?.detail).to.equal('Error: spawn EACCES');
  });
});
