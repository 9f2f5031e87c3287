// Every unit file the box gets, rendered and checked by `systemd-analyze verify` (systemd 252
// here, the version AL2023 ships), in a root that holds the host's own units, a docker.service
// stand-in and a stand-in for every program the units run.
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { expect } from 'chai';
import { DEPLOY_PROFILE } from '../../scripts/lib/box/compose.js';
import { EXPIRE_DROP_IN, EXPIRE_SERVICE, EXPIRE_TIMER, STACK_UNIT, SYSTEMD_DIR } from '../../scripts/lib/box/layout.js';
import { loadCompose, seconds } from '../compose/compose-files.js';
import { BoxRoot, rendered, type CloudConfig } from './box-root.js';

/** Unit files as the box has them: write_files' and the ones bootcmd writes. */
function unitsOnTheBox(box: BoxRoot, cfg: CloudConfig): string[] {
  box.writeFiles(cfg, { relocated: false });
  box.standIn('systemctl');
  const arm = box.run('sh', box.relocate(cfg.bootcmd[0]!));
  if (arm.status !== 0) throw new Error(`bootcmd failed: ${arm.stderr}`);
  return [STACK_UNIT, EXPIRE_SERVICE, EXPIRE_TIMER].map((unit) => `${SYSTEMD_DIR}/${unit}`);
}

function prepareRoot(box: BoxRoot): void {
  cpSync('/usr/lib/systemd/system', box.path('/usr/lib/systemd/system'), { recursive: true });
  box.write(`${SYSTEMD_DIR}/docker.service`, '[Unit]\nDescription=docker stand-in\n[Service]\nExecStart=/usr/bin/dockerd\n');
  for (const program of ['/usr/bin/docker', '/usr/bin/dockerd', '/usr/bin/systemctl', '/usr/bin/timeout']) box.write(program, '#!/bin/sh\n', 0o755);
}

function verify(box: BoxRoot, units: string[]): string {
  try {
    execFileSync('systemd-analyze', ['verify', '--man=no', `--root=${box.dir}`, ...units], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (err) {
    return (err as { stderr: string }).stderr || (err as Error).message;
  }
}

const setting = (unit: string, section: string, key: string): string | undefined => {
  const body = unit.split(/^\[/m).find((s) => s.startsWith(`${section}]`)) ?? '';
  return new RegExp(`^${key}=(.*)$`, 'm').exec(body)?.[1];
};

describe('systemd units on the box', () => {
  let box: BoxRoot;
  let cfg: CloudConfig;
  beforeEach(() => {
    box = new BoxRoot();
    cfg = rendered();
    prepareRoot(box);
  });
  afterEach(() => box.remove());

  it('pass `systemd-analyze verify`', () => {
    const units = unitsOnTheBox(box, cfg);
    expect(verify(box, units)).to.equal('');
  });

  it('are refused by `systemd-analyze verify` when broken (the validator really runs)', () => {
    const units = unitsOnTheBox(box, cfg);
    box.write(units[0]!, box.read(units[0]!).replace('Restart=on-failure', 'Restart=always'));
    expect(verify(box, units)).to.match(/Restart= set to either always or on-success, which isn't allowed for Type=oneshot services/);
  });

  it('are refused when a program a unit runs is missing', () => {
    const units = unitsOnTheBox(box, cfg);
    box.write(units[0]!, box.read(units[0]!).replace(/^ExecStartPre=.*$/m, 'ExecStartPre=/usr/local/sbin/pillbox-nowhere'));
    expect(verify(box, units)).to.match(/pillbox-nowhere is not executable/);
  });

  it('check the timer with its ExpiresAt drop-in (an unparsable time is refused)', () => {
    const units = unitsOnTheBox(box, cfg);
    box.write(EXPIRE_DROP_IN, '[Timer]\nOnCalendar=\nOnCalendar=tomorrow-ish\n');
    expect(verify(box, units)).to.match(/Failed to parse calendar specification/);
  });

  describe('the stack unit', () => {
    const stack = () => {
      unitsOnTheBox(box, cfg);
      return box.read(`${SYSTEMD_DIR}/${STACK_UNIT}`);
    };

    it('retries a failed start after a fixed pause, a bounded number of times', () => {
      const unit = stack();
      expect(setting(unit, 'Service', 'Restart')).to.equal('on-failure');
      expect(setting(unit, 'Service', 'RestartSec')).to.equal('45s');
      // In [Unit]: systemd 252 accepts these in [Service] without a word and ignores them.
      expect(setting(unit, 'Unit', 'StartLimitIntervalSec')).to.equal('1h');
      expect(setting(unit, 'Unit', 'StartLimitBurst')).to.equal('5');
      expect(setting(unit, 'Service', 'StartLimitBurst')).to.equal(undefined);
    });

    it('gives up on a start that hangs (a oneshot has no start timeout by default)', () => {
      expect(setting(stack(), 'Service', 'TimeoutStartSec')).to.equal('30min');
    });

    it('lets a full stop finish: TimeoutStopSec covers the longest chain of grace periods along depends_on, plus a margin', () => {
      // Docker's default when a service sets none (docker/cli `container stop`, compose's stop without --timeout).
      const DOCKER_DEFAULT_GRACE = 10;
      const MARGIN = 30;
      const { services } = loadCompose('compose/compose.yaml');
      const grace = (name: string) => {
        const period = services[name]?.stop_grace_period;
        return period ? seconds(period) : DOCKER_DEFAULT_GRACE;
      };
      // compose v5.1.0 stops in reverse dependency order with every ready service in parallel (pkg/compose/stop.go
      // InReverseDependencyOrder, dependencies.go): a service stops once all its dependants have, so the worst case is
      // the heaviest path from a service nobody depends on down through its dependencies.
      const chain = (name: string): number => grace(name) + Math.max(0, ...Object.keys(services[name]?.depends_on ?? {}).map(chain));
      const worstCase = Math.max(...Object.keys(services).map(chain));
      expect(worstCase).to.equal(chain('kibana-setup'));
      const timeout = setting(stack(), 'Service', 'TimeoutStopSec') ?? '';
      const m = timeout.match(/^(\d+)(min|s)?$/);
      expect(m, `TimeoutStopSec=${timeout}`).to.not.equal(null);
      const limit = Number(m?.[1]) * (m?.[2] === 'min' ? 60 : 1);
      // Derived, not padded: at least the chain plus the margin, and no more than a minute beyond it.
      expect(limit).to.be.within(worstCase + MARGIN, worstCase + MARGIN + 60);
    });

    it('stops the second color too: ExecStop names the deploy profile, which `up` never starts', () => {
      const unit = stack();
      const stop = setting(unit, 'Service', 'ExecStop') ?? '';
      expect(stop).to.match(new RegExp(` --profile ${DEPLOY_PROFILE} stop$`));
      expect(setting(unit, 'Service', 'ExecStart')).to.not.include('--profile');
      expect(loadCompose('compose/compose.yaml').services['app-next']?.profiles).to.deep.equal([DEPLOY_PROFILE]);
    });

    it('comes back after a reboot: enabled for multi-user.target, after docker and the network', () => {
      const unit = stack();
      expect(setting(unit, 'Install', 'WantedBy')).to.equal('multi-user.target');
      expect(setting(unit, 'Unit', 'Requires')).to.equal('docker.service');
      expect(setting(unit, 'Unit', 'After')).to.equal('docker.service network-online.target');
      expect(setting(unit, 'Service', 'RemainAfterExit')).to.equal('yes');
      const bootstrap = box.read('/usr/local/sbin/pillbox-bootstrap');
      expect(bootstrap).to.match(/^systemctl enable pillbox\.service$/m);
    });
  });
});
