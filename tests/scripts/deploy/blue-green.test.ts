// The blue/green swap: its order as data, the exact commands each step sends, and the box-side scripts run for
// real under sh with stand-ins for docker and BusyBox wget. tests/compose/edge.test.ts runs the same steps
// against a real Caddy and the real app.
import { expect } from 'chai';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toShellLine } from '../../../scripts/lib/box/ssm-run.js';
import {
  describeStep,
  parseRouteProbe,
  phaseOf,
  recoveryFor,
  routeProbeCommand,
  swapCommand,
  swapPlan,
  SWAP,
  type SwapStep,
} from '../../../scripts/lib/deploy/blue-green.js';
import { useStubBin } from '../fakes/stub-bin.js';

const COMPOSE =
  'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env';
const limits = { readySeconds: 120, drainSeconds: 30 };
const words = (steps: readonly SwapStep[]) => steps.map((s) => `${s.kind} ${s.color}`);
const line = (s: SwapStep) => toShellLine(swapCommand(s, limits));

describe('blue/green swap', () => {
  describe('the plan', () => {
    it('moves traffic to a ready app-next, replaces app while app-next serves, then moves it back and removes app-next', () => {
      expect(words(SWAP)).to.deep.equal([
        'stop app-next',
        'start app-next',
        'ready app-next',
        'route app-next',
        'drained app',
        'stop app',
        'start app',
        'ready app',
        'route app',
        'drained app-next',
        'stop app-next',
      ]);
    });

    it('never stops a color while traffic still goes to it, nor routes to one that is not proven ready', () => {
      for (const plan of [SWAP, swapPlan('app-next')]) {
        let routed: string = plan === SWAP ? 'app' : 'app-next';
        const ready = new Set<string>(plan === SWAP ? ['app'] : ['app-next']);
        for (const s of plan) {
          if (s.kind === 'stop') expect(routed, `stop ${s.color}`).to.not.equal(s.color);
          if (s.kind === 'start' || s.kind === 'stop') ready.delete(s.color);
          if (s.kind === 'ready') ready.add(s.color);
          if (s.kind === 'route') {
            expect(ready.has(s.color), `route ${s.color}`).to.equal(true);
            routed = s.color;
          }
        }
        expect(routed).to.equal('app');
      }
    });

    it('after an interrupted deploy left traffic on app-next, only brings app back behind it', () => {
      expect(words(swapPlan('app-next'))).to.deep.equal(['start app', 'ready app', 'route app', 'drained app-next', 'stop app-next']);
      expect(swapPlan('app')).to.equal(SWAP);
    });

    it('knows where traffic was when a step failed, and what undoes it', () => {
      expect(SWAP.map((_, i) => phaseOf(SWAP, i))).to.deep.equal(['before', 'before', 'before', 'during', 'during', 'during', 'during', 'during', 'during', 'after', 'after']);
      expect(words(recoveryFor('before'))).to.deep.equal(['stop app-next']);
      expect(words(recoveryFor('during'))).to.deep.equal(['start app', 'ready app', 'route app', 'drained app-next', 'stop app-next']);
      expect(swapPlan('app-next').map((_, i) => phaseOf(swapPlan('app-next'), i))).to.deep.equal(['during', 'during', 'during', 'after', 'after']);
    });

    it('says what each step does', () => {
      expect(SWAP.map(describeStep).slice(0, 5)).to.deep.equal([
        'Stop app-next (it drains)',
        'Start app-next on the app image',
        'Wait for app-next to answer /readyz',
        'Send traffic to app-next',
        'Wait for the requests in flight to app to finish',
      ]);
    });
  });

  describe('the commands', () => {
    it('starts and stops colors through the contract compose invocation', () => {
      expect(line({ kind: 'start', color: 'app-next' })).to.equal(`${COMPOSE} up --detach --no-deps --force-recreate app-next`);
      expect(line({ kind: 'start', color: 'app' })).to.equal(`${COMPOSE} up --detach --no-deps --force-recreate app`);
      expect(line({ kind: 'stop', color: 'app' })).to.equal(`${COMPOSE} stop app`);
      expect(line({ kind: 'stop', color: 'app-next' })).to.equal(`${COMPOSE} rm --stop --force app-next`);
    });

    it('switches the route inside the Caddy container, in its data volume', () => {
      expect(line({ kind: 'route', color: 'app-next' })).to.equal(`${COMPOSE} exec -T caddy sh -c 'mkdir -p "$1" && touch "$1/route-app-next"' sh /data/pillbox`);
      expect(line({ kind: 'route', color: 'app' })).to.equal(`${COMPOSE} exec -T caddy sh -c 'rm -f "$1/route-app-next"' sh /data/pillbox`);
      expect(toShellLine(routeProbeCommand())).to.equal(`${COMPOSE} exec -T caddy sh -c 'if [ -e "$1/route-app-next" ]; then echo app-next; else echo app; fi' sh /data/pillbox`);
    });

    it('waits on Caddy\'s admin API for the color\'s address, and on the color\'s own /readyz', () => {
      expect(line({ kind: 'drained', color: 'app' })).to.match(new RegExp(`^${COMPOSE} exec -T caddy sh -c '.*' sh http://127.0.0.1:2019 edge-app:3000 30$`, 's'));
      expect(line({ kind: 'drained', color: 'app-next' })).to.match(/ sh http:\/\/127.0.0.1:2019 edge-app-next:3000 30$/);
      expect(line({ kind: 'ready', color: 'app-next' })).to.match(new RegExp(`^sh -c '.*' sh app-next http://127.0.0.1:3000/readyz 120 2 ${COMPOSE}$`, 's'));
    });

    it('reads the route probe strictly', () => {
      expect(parseRouteProbe('app-next\n')).to.equal('app-next');
      expect(parseRouteProbe('app\n')).to.equal('app');
      expect(() => parseRouteProbe('OCI runtime exec failed')).to.throw('unexpected answer from the edge');
    });
  });

  describe('the scripts, run under sh', function () {
    this.timeout(15_000);
    const { stub, run, dir } = useStubBin();

    it('creates and removes the route file, and the probe reports it', async () => {
      const data = mkdtempSync(join(tmpdir(), 'pillbox-route-'));
      const inside = (argv: string[]) => argv.slice(argv.indexOf('sh')).map((a) => (a === '/data/pillbox' ? join(data, 'pillbox') : a));
      const probe = async () => (await run(inside(routeProbeCommand()))).stdout.trim();
      expect(await probe()).to.equal('app');
      expect((await run(inside(swapCommand({ kind: 'route', color: 'app-next' }, limits)))).code).to.equal(0);
      expect(readdirSync(join(data, 'pillbox'))).to.deep.equal(['route-app-next']);
      expect(await probe()).to.equal('app-next');
      expect((await run(inside(swapCommand({ kind: 'route', color: 'app' }, limits)))).code).to.equal(0);
      expect(await probe()).to.equal('app');
    });

    const drained = (seconds: number) => {
      const argv = swapCommand({ kind: 'drained', color: 'app' }, { ...limits, drainSeconds: seconds });
      return run(argv.slice(argv.indexOf('sh')));
    };

    it('waits until Caddy reports no request in flight to the upstream, whatever the other upstream does', async () => {
      const count = join(dir(), 'count');
      // Caddy's GET /reverse_proxy/upstreams, as 2.6 and 2.11 print it: two requests in flight, then none.
      stub(
        'wget',
        `[ "$*" = "-q -O - http://127.0.0.1:2019/reverse_proxy/upstreams" ] || exit 9
n=$(cat ${count} 2>/dev/null || echo 0); echo $((n + 1)) > ${count}
if [ "$n" -lt 2 ]; then busy=2; else busy=0; fi
printf '[{"address":"edge-app-next:3000","num_requests":0,"fails":0},{"address":"edge-app:3000","num_requests":%s,"fails":0}]\\n' "$busy"`,
      );
      const out = await drained(30);
      expect(out.code, out.stderr).to.equal(0);
      expect(out.stdout.trim()).to.equal('drained');
      expect(Number((await run(['cat', count])).stdout)).to.equal(3);
    });

    it('fails naming the admin API when Caddy does not answer, and goes on after the limit, saying so', async () => {
      stub('wget', 'exit 4');
      const down = await drained(30);
      expect(down.code).to.equal(1);
      expect(down.stderr).to.contain("Caddy's admin API did not answer at http://127.0.0.1:2019");
      stub('wget', `echo '[{"address":"edge-app:3000","num_requests":1,"fails":0}]'`);
      const busy = await drained(0);
      expect(busy.code).to.equal(0);
      expect(busy.stdout.trim()).to.equal('requests still in flight to edge-app:3000 after 0s; its drain finishes them');
    });

    const ready = (seconds: number) => run(swapCommand({ kind: 'ready', color: 'app-next' }, { ...limits, readySeconds: seconds }));

    it('finds the color\'s container through compose and waits for /readyz inside it', async () => {
      const count = join(dir(), 'count');
      // Not ready on the first probe, ready on the second.
      stub(
        'docker',
        `case "$*" in
  *"--env-file /etc/pillbox/secrets.env ps --quiet app-next") echo c0ffee ;;
  "inspect --format {{.State.Running}} c0ffee") echo true ;;
  exec*) n=$(cat ${count} 2>/dev/null || echo 0); echo $((n + 1)) > ${count}; [ "$2" = c0ffee ] && [ "$3" = node ] && [ "$6" = http://127.0.0.1:3000/readyz ] && [ "$n" -ge 1 ] ;;
  *) echo "unexpected docker $*" >&2; exit 9 ;;
esac`,
      );
      const out = await ready(30);
      expect(out.code, out.stderr).to.equal(0);
      expect(out.stdout.trim()).to.equal('ready');
    });

    it('fails at once when the color has no running container, and after the limit when it never gets ready', async () => {
      stub('docker', 'case "$*" in *" ps --quiet app-next") echo c0ffee ;; inspect*) echo false ;; *) exit 1 ;; esac');
      const started = Date.now();
      const stopped = await ready(30);
      expect(stopped.code).to.equal(1);
      expect(stopped.stderr).to.contain('app-next stopped before it was ready');
      expect(Date.now() - started).to.be.below(2000);
      stub('docker', 'case "$*" in *" ps --quiet app-next") echo c0ffee ;; inspect*) echo true ;; *) exit 1 ;; esac');
      const late = await ready(0);
      expect(late.code).to.equal(1);
      expect(late.stderr).to.contain('app-next was not ready after 0s');
    });
  });
});
