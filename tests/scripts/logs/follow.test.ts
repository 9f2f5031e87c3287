import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { ssmRunner } from '../../../scripts/lib/box/ssm-output.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { advance, firstWindow, followLogs, formatNanos, parseStampedLine } from '../../../scripts/lib/logs/follow.js';
import { fakeBox, type SsmMock } from '../fakes/fake-box.js';
import { fakeClock } from '../fakes/fake-clock.js';

const COMPOSE =
  'docker compose --project-directory /opt/pillbox/compose --file /opt/pillbox/compose/compose.yaml --env-file /opt/pillbox/compose/.env --env-file /etc/pillbox/pillbox.env --env-file /etc/pillbox/secrets.env';

/** A line as `docker compose logs --no-color --timestamps` prints it (prefix padded to the longest name). */
const stamped = (name: string, at: string, message: string) => `${name.padEnd(16)}| ${at} ${message}`;
const shown = (name: string, message: string) => `${name.padEnd(16)}| ${message}`;

describe('logs --follow', () => {
  describe('reading the timestamps Docker adds', () => {
    it('splits a line into what logs prints and when Docker received it, to the nanosecond', () => {
      expect(parseStampedLine(stamped('app-1', '2026-11-22T12:14:03.117234567Z', '{"message":"GET /readyz 200"}'))).to.deep.equal({
        shown: shown('app-1', '{"message":"GET /readyz 200"}'),
        at: 1_795_349_643_117_234_567n,
      });
    });

    it('reads a zone offset and a short fraction, and an empty message', () => {
      expect(parseStampedLine('app-1  | 2026-11-22T13:14:03.5+01:00 ')?.at).to.equal(1_795_349_643_500_000_000n);
      expect(parseStampedLine('app-1  | 2026-11-22T13:14:03.5+01:00 ')?.shown).to.equal('app-1  | ');
    });

    it('leaves a line without a timestamp unparsed', () => {
      expect(parseStampedLine('no prefix at all')).to.equal(undefined);
    });

    it('writes a position back in the RFC 3339 form --since accepts, nanoseconds kept', () => {
      expect(formatNanos(1_795_349_643_117_234_567n)).to.equal('2026-11-22T12:14:03.117234567Z');
      expect(formatNanos(1_795_349_643_000_000_007n)).to.equal('2026-11-22T12:14:03.000000007Z');
    });
  });

  describe('one poll after another', () => {
    it('starts the next poll two seconds before the newest line and drops what was printed', () => {
      const first = advance(firstWindow({ tail: '50' }), [stamped('app-1', '2026-11-22T12:00:00.000000001Z', 'a'), stamped('app-1', '2026-11-22T12:00:05.000000000Z', 'b'), ''].join('\n'));
      expect(first.fresh).to.deep.equal([shown('app-1', 'a'), shown('app-1', 'b')]);
      expect(first.next.since).to.equal('2026-11-22T12:00:03.000000000Z');
      expect(first.next.tail).to.equal('all');
      expect([...first.next.printed.keys()], 'a is older than the new window').to.deep.equal([stamped('app-1', '2026-11-22T12:00:05.000000000Z', 'b')]);
      // The box answers from 12:00:03: b again, a line postgres wrote at 12:00:04 that the first poll missed, and c.
      const second = advance(
        first.next,
        [stamped('postgres-1', '2026-11-22T12:00:04.000000000Z', 'late'), stamped('app-1', '2026-11-22T12:00:05.000000000Z', 'b'), stamped('app-1', '2026-11-22T12:00:09.000000000Z', 'c')].join('\n'),
      );
      expect(second.fresh).to.deep.equal([shown('postgres-1', 'late'), shown('app-1', 'c')]);
      expect(second.next.since).to.equal('2026-11-22T12:00:07.000000000Z');
    });

    it('keeps the window when a poll brings nothing new', () => {
      const first = advance(firstWindow({ tail: '50' }), stamped('app-1', '2026-11-22T12:00:05.000000000Z', 'b'));
      const again = advance(first.next, stamped('app-1', '2026-11-22T12:00:05.000000000Z', 'b'));
      expect(again.fresh).to.deep.equal([]);
      expect(again.next.since).to.equal(first.next.since);
    });

    it('prints two identical messages that Docker received at different times', () => {
      const { fresh } = advance(firstWindow({ tail: '5' }), [stamped('app-1', '2026-11-22T12:00:05.000000000Z', 'ping'), stamped('app-1', '2026-11-22T12:00:05.000000001Z', 'ping')].join('\n'));
      expect(fresh).to.deep.equal([shown('app-1', 'ping'), shown('app-1', 'ping')]);
    });

    it("keeps the operator's --since until the first line appears, then takes every line", () => {
      const { fresh, next } = advance(firstWindow({ tail: '200', since: '15m' }), '');
      expect(fresh).to.deep.equal([]);
      expect(next).to.deep.include({ since: '15m', tail: 'all' });
    });
  });

  describe('against the box', () => {
    let ssm: SsmMock;
    beforeEach(() => (ssm = mockClient(SSMClient)));
    afterEach(() => ssm.restore());
    const run = () => ssmRunner(new SSMClient({ region: 'eu-west-1' }), 'i-0abc', { clock: fakeClock() });
    let ids = 0;
    const newId = () => (ids += 1).toString(16).padStart(8, '0');

    /** The box's log as it grows: each poll sees the lines written up to then, from --since on. */
    function growingLog(batches: string[][]) {
      let poll = 0;
      const all: string[] = [];
      return (line: string) => {
        all.push(...(batches[poll] ?? []));
        poll += 1;
        const since = / --since (\S+) /.exec(line)?.[1];
        const from = since ? Date.parse(since.replace(/\.\d+Z$/, 'Z')) : -Infinity;
        const lines = all.filter((l) => Date.parse(/\| (\S+?)(?:\.\d+)?Z /.exec(l)?.[1] + 'Z') >= from);
        return { stdout: lines.map((l) => `${l}\n`).join('') };
      };
    }

    it('polls with the request first, then from the window, printing each line once until Ctrl-C', async () => {
      const log = growingLog([
        [stamped('app-1', '2026-11-22T12:00:00.100000000Z', 'one'), stamped('app-1', '2026-11-22T12:00:01.000000000Z', 'two')],
        [stamped('app-1', '2026-11-22T12:00:06.000000000Z', 'three')],
        [],
        [stamped('app-1', '2026-11-22T12:00:16.250000000Z', 'four')],
      ]);
      const box = fakeBox(ssm, log);
      const stop = new AbortController();
      let printed = '';
      const waits: number[] = [];
      await followLogs(
        {
          run: run(),
          newId,
          signal: stop.signal,
          print: (t) => void (printed += t),
          // Ctrl-C during the fourth wait.
          sleep: async (ms) => void (waits.push(ms), waits.length === 4 && stop.abort()),
        },
        { service: 'app', tail: '50' },
      );
      expect(printed).to.equal([shown('app-1', 'one'), shown('app-1', 'two'), shown('app-1', 'three'), shown('app-1', 'four'), ''].join('\n'));
      expect(box.lines().map((l) => l.slice(l.indexOf(COMPOSE) + COMPOSE.length))).to.deep.equal([
        ' logs --no-color --tail 50 --timestamps app',
        ' logs --no-color --tail all --since 2026-11-22T11:59:59.000000000Z --timestamps app',
        ' logs --no-color --tail all --since 2026-11-22T12:00:04.000000000Z --timestamps app',
        ' logs --no-color --tail all --since 2026-11-22T12:00:04.000000000Z --timestamps app',
      ]);
      expect(waits).to.deep.equal([5000, 5000, 5000, 5000]);
    });

    it('finishes the poll under way when Ctrl-C comes during it, prints it, and polls no more', async () => {
      const stop = new AbortController();
      const box = fakeBox(ssm, () => (stop.abort(), { stdout: `${stamped('app-1', '2026-11-22T12:00:00.000000000Z', 'last')}\n` }));
      let printed = '';
      let waited = false;
      await followLogs({ run: run(), newId, signal: stop.signal, print: (t) => void (printed += t), sleep: async () => void (waited = true) }, { tail: '10' });
      expect(printed).to.equal(`${shown('app-1', 'last')}\n`);
      expect(box.lines()).to.have.length(1);
      expect(waited).to.equal(false);
    });

    it('stops with one line when the box refuses the service', async () => {
      fakeBox(ssm, () => ({ exitCode: 1, stderr: 'no such service: web\n' }));
      let caught: unknown;
      try {
        await followLogs({ run: run(), newId, signal: new AbortController().signal, print: () => {}, sleep: async () => {} }, { service: 'web', tail: '10' });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(OperatorError);
      expect((caught as OperatorError).message).to.equal('docker compose logs failed on the box: no such service: web');
    });
  });
});
