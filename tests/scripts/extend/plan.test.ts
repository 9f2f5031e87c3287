import { expect } from 'chai';
import { expiryDropIn } from '../../../scripts/lib/box/expiry-timer.js';
import { OperatorError } from '../../../scripts/lib/core/operator-error.js';
import { formatLocal, formatTimeLeft } from '../../../scripts/lib/core/time.js';
import { extendExpiry, requireExpiry } from '../../../scripts/lib/extend/plan.js';

const at = (iso: string): Date => new Date(iso);

describe('expiry', () => {
  describe('extendExpiry', () => {
    it('adds the hours to the current expiry, crossing midnight into the next day', () => {
      const next = extendExpiry({ current: at('2026-11-22T22:30:00Z'), now: at('2026-11-22T20:00:00Z'), hours: 3, capHours: 72 });
      expect(next.toISOString()).to.equal('2026-11-23T01:30:00.000Z');
    });

    it('crosses a month and a year boundary in UTC', () => {
      const next = extendExpiry({ current: at('2026-12-31T23:15:00Z'), now: at('2026-12-31T12:00:00Z'), hours: 2, capHours: 72 });
      expect(next.toISOString()).to.equal('2027-01-01T01:15:00.000Z');
    });

    it('counts from now when the box is already past its expiry, dropping milliseconds', () => {
      const next = extendExpiry({ current: at('2026-11-22T10:00:00Z'), now: at('2026-11-22T11:20:30.750Z'), hours: 1, capHours: 72 });
      expect(next.toISOString()).to.equal('2026-11-22T12:20:30.000Z');
    });

    it('gives the same instant whatever the process time zone is', () => {
      const saved = process.env.TZ;
      const results: string[] = [];
      try {
        for (const tz of ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Chatham']) {
          process.env.TZ = tz;
          // 2026-03-08 is the US daylight-saving switch: wall clocks skip an hour, UTC does not.
          results.push(extendExpiry({ current: at('2026-03-08T09:30:00Z'), now: at('2026-03-08T08:00:00Z'), hours: 1, capHours: 72 }).toISOString());
        }
      } finally {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      }
      expect(results).to.deep.equal(Array(4).fill('2026-03-08T10:30:00.000Z'));
    });

    it('refuses to go past the cap and names the largest extension that fits', () => {
      const run = () => extendExpiry({ current: at('2026-11-24T10:00:00Z'), now: at('2026-11-22T12:00:00Z'), hours: 30, capHours: 72 });
      expect(run).to.throw(OperatorError, /beyond the 72h cap \(latest 2026-11-25 12:00:00 UTC\)/).with.property('hint', 'Pass --hours 26 or less.');
    });

    it('allows an extension that lands exactly on the cap', () => {
      const next = extendExpiry({ current: at('2026-11-24T10:00:00Z'), now: at('2026-11-22T12:00:00Z'), hours: 26, capHours: 72 });
      expect(next.toISOString()).to.equal('2026-11-25T12:00:00.000Z');
    });

    it('still offers one hour when exactly one fits', () => {
      const run = () => extendExpiry({ current: at('2026-11-25T11:00:00Z'), now: at('2026-11-22T12:00:00Z'), hours: 2, capHours: 72 });
      expect(run).to.throw(OperatorError).with.property('hint', 'Pass --hours 1 or less.');
    });

    it('says the box is at the cap when not even one hour fits', () => {
      const run = () => extendExpiry({ current: at('2026-11-25T11:30:00Z'), now: at('2026-11-22T12:00:00Z'), hours: 1, capHours: 72 });
      expect(run).to.throw(OperatorError).with.property('hint').that.matches(/already at the cap/);
    });

    for (const hours of [0, -2, 1.5, Number.NaN]) {
      it(`rejects --hours ${hours}`, () => {
        expect(() => extendExpiry({ current: at('2026-11-22T12:00:00Z'), now: at('2026-11-22T10:00:00Z'), hours, capHours: 72 }))
          .to.throw(OperatorError, /whole number of hours/)
          .with.property('hint', 'Pass e.g. --hours 4.');
      });
    }
  });

  describe('requireExpiry', () => {
    it('returns the tag time when the tag parsed', () => {
      expect(requireExpiry(at('2026-11-22T18:00:00Z'), 'i-1').toISOString()).to.equal('2026-11-22T18:00:00.000Z');
    });

    for (const bad of [undefined, new Date('tomorrow')]) {
      it(`rejects ${String(bad)} with the instance named`, () => {
        expect(() => requireExpiry(bad, 'i-0abc'))
          .to.throw(OperatorError, /i-0abc has no valid ExpiresAt tag/)
          .with.property('hint')
          .that.matches(/^It was not created by `npm run provision`, or the tag was edited by hand: set ExpiresAt to an ISO 8601 UTC time/);
      });
    }
  });

  describe('formatting', () => {
    it('writes the timer drop-in the box reads (the empty OnCalendar= resets the earlier time)', () => {
      expect(expiryDropIn(at('2026-11-23T01:30:00Z'))).to.equal('[Timer]\nOnCalendar=\nOnCalendar=2026-11-23 01:30:00 UTC\n');
    });

    it('shows time left in the two largest units', () => {
      const now = at('2026-11-22T12:00:00Z');
      expect(formatTimeLeft(at('2026-11-22T12:12:59Z'), now)).to.equal('12m');
      expect(formatTimeLeft(at('2026-11-22T17:07:00Z'), now)).to.equal('5h 07m');
      expect(formatTimeLeft(at('2026-11-25T14:00:00Z'), now)).to.equal('3d 2h');
      expect(formatTimeLeft(at('2026-11-22T11:59:00Z'), now)).to.equal('expired');
    });

    it('shows the local time on the right calendar day in zones on both sides of UTC', () => {
      const late = at('2026-11-22T23:30:00Z');
      expect(formatLocal(late, 'America/Los_Angeles')).to.equal('Sun 22 Nov 15:30 GMT-8');
      expect(formatLocal(late, 'Asia/Kolkata')).to.equal('Mon 23 Nov 05:00 GMT+5:30');
      expect(formatLocal(late, 'Pacific/Chatham')).to.equal('Mon 23 Nov 13:15 GMT+13:45');
    });
  });
});
