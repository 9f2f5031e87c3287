import { expect } from 'chai';
import { composePsCommand, parseComposePs, PS_TEMPLATE } from '../../../scripts/lib/box/compose-health.js';
import { SSM_STDOUT_LIMIT, toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import { renderComposePs, type PsEntry } from '../fakes/fake-aws.js';

/** ContainerContext's methods in docker/compose cmd/formatter/container.go that the template may name. */
const CONTAINER_CONTEXT_FIELDS = ['ID', 'Name', 'Names', 'Service', 'Project', 'Image', 'Command', 'CreatedAt', 'RunningFor', 'ExitCode', 'State', 'Status', 'Health', 'Publishers', 'Ports', 'Labels', 'Mounts', 'LocalVolumes', 'Networks', 'Size'];

/** A service as compose sees it, with as many label characters as the Elastic images carry. */
const service = (name: string, labelChars = 2600): PsEntry => ({
  Service: name,
  State: 'running',
  Health: 'healthy',
  ExitCode: 0,
  Publishers: name === 'app' ? [{ URL: '0.0.0.0', TargetPort: 3000, PublishedPort: 80, Protocol: 'tcp' }] : null,
  Labels: `org.opencontainers.image.description=${'x'.repeat(labelChars)}`,
});
const STACK = ['apm-server', 'app', 'caddy', 'elasticsearch', 'heartbeat', 'heartbeat-setup', 'kibana', 'kibana-setup', 'postgres', 'setup'].map((n) => service(n));

describe('compose health', () => {
  it('asks compose for one short line per container, with --all so exited one-shots show', () => {
    expect(composePsCommand().slice(-4)).to.deep.equal(['ps', '--all', '--format', PS_TEMPLATE]);
    expect(toShellLine(composePsCommand())).to.match(/ ps --all --format '\{"service":\{\{json \.Service\}\},.*\}'$/);
  });

  it('names only fields compose’s ContainerContext has', () => {
    const fields = [...PS_TEMPLATE.matchAll(/\{\{(?:json )?\.(\w+)\}\}/g)].map((m) => m[1]);
    expect(fields).to.deep.equal(['Service', 'State', 'Health', 'ExitCode', 'Publishers']);
    for (const f of fields) expect(CONTAINER_CONTEXT_FIELDS, f).to.include(f);
  });

  it('stays far below the 24,000 characters of one SSM answer for a whole stack whose labels alone pass it', () => {
    const full = renderComposePs(STACK, `ps --all --format json`);
    const compact = renderComposePs(STACK, toShellLine(composePsCommand()));
    expect(full.length, '--format json').to.be.greaterThan(SSM_STDOUT_LIMIT);
    expect(compact.length).to.be.lessThan(2000);
    expect(parseComposePs(compact).map((s) => s.service)).to.deep.equal(STACK.map((s) => s.Service));
  });

  it('reads service, state, health, exit code and the published ports', () => {
    const line = (entry: PsEntry) => renderComposePs([entry], toShellLine(composePsCommand()));
    const app = parseComposePs(line(service('app')))[0];
    expect(app).to.deep.equal({ service: 'app', state: 'running', health: 'healthy', exitCode: 0, publishedPorts: [80] });
    const setup = parseComposePs(line({ Service: 'setup', State: 'exited', Health: '', ExitCode: 1, Publishers: null }))[0];
    expect(setup).to.deep.equal({ service: 'setup', state: 'exited', health: '', exitCode: 1, publishedPorts: [] });
  });

  it('refuses a line that is not JSON (a cut answer) instead of guessing', () => {
    expect(() => parseComposePs('{"service":"app","state":"running"}\n{"service":"kib')).to.throw(/a line that is not JSON: "\{\\"service\\":\\"kib"/);
  });
});
