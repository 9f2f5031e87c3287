import { expect } from 'chai';
import pg from 'pg';
import { isoTimestamp, isoTimestampTypes } from '../../app/src/db/iso-timestamps.js';

const viaDate = (text: string) => (pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text')(text) as Date).toISOString();

describe('ISO timestamps from PostgreSQL text', () => {
  for (const text of [
    '2026-12-07 20:19:47.496+00',
    '2026-12-07 20:19:47+00', // PostgreSQL drops a zero fraction
    '2026-12-07 20:19:47.5+00', // and trailing zeros
    '2026-12-07 20:19:47.04+00',
    '2026-12-07 20:19:47.123999+00', // microseconds: truncated, as a Date truncates them
    '2026-12-07 20:19:47.496+02', // a session in another time zone
    '2026-12-07 02:19:47.496-05:30',
    '1999-12-31 23:59:59.999+00',
  ]) {
    it(`reads ${text} exactly as a Date would serialise it`, () => {
      expect(isoTimestamp(text)).to.equal(viaDate(text));
    });
  }

  it('hands every type but timestamptz to pg’s own parsers', () => {
    const { builtins } = pg.types;
    expect(isoTimestampTypes.getTypeParser(builtins.TIMESTAMPTZ, 'text')).to.equal(isoTimestamp);
    for (const oid of [builtins.INT4, builtins.NUMERIC, builtins.TEXT, builtins.TIMESTAMP]) {
      expect(isoTimestampTypes.getTypeParser(oid, 'text')).to.equal(pg.types.getTypeParser(oid, 'text'));
    }
  });
});
