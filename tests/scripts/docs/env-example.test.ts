// .env.example in three parts, one per reader, each saying who reads it; nothing in it is set.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { root } from './cli-scripts.js';

const text = readFileSync(`${root}.env.example`, 'utf8');

/** The lines between `# section:<name>` and `# /section:<name>`. */
function part(name: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`# section:${name}`);
  const end = lines.indexOf(`# /section:${name}`);
  expect(start, `# section:${name}`).to.be.greaterThan(-1);
  expect(end, `# /section:${name}`).to.be.greaterThan(start);
  return lines.slice(start + 1, end);
}

describe('.env.example', () => {
  it('has a part for each reader, opening with who reads it and when', () => {
    expect(part('app')[0]).to.match(/^# Read by the app, once at start, from its environment only/);
    expect(part('stack')[0]).to.match(/^# Read by docker compose when it interpolates .*never from this \.env/);
    expect(part('cli')[0]).to.match(/^# Read by every `npm run <command>` of the operator CLI .* when it$/);
  });

  it('sets nothing: every variable is a commented line showing its default', () => {
    expect(text.split('\n').filter((line) => /^[A-Z_]+=/.test(line))).to.deep.equal([]);
  });

  it('keeps its word that npm start and npm run dev read no .env', () => {
    const scripts = [root, `${root}app/`].flatMap((dir) => {
      const { start, dev } = (JSON.parse(readFileSync(`${dir}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
      return [start, dev];
    });
    expect(scripts.filter((s) => s === undefined || /env-file|dotenv/.test(s))).to.deep.equal([]);
  });
});
