// The lowest Node that `engines` allows is the one CI runs (.node-version): a release the suite never ran on is not allowed.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';

const pinned = readFileSync('.node-version', 'utf8').trim();
const manifests = ['package.json', 'app/package.json', 'elk/setup/package.json'];

describe('the Node releases pillbox allows', () => {
  for (const file of manifests) {
    it(`${file} allows Node 24 from the release CI tests (.node-version ${pinned}) on`, () => {
      const { engines } = JSON.parse(readFileSync(file, 'utf8')) as { engines?: { node?: string } };
      expect(engines?.node).to.equal(`>=${pinned} <25`);
    });
  }

  it('package-lock.json records the same engines for every workspace', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };
    for (const path of ['', 'app', 'elk/setup']) expect(lock.packages[path]?.engines?.node, path || 'root').to.equal(`>=${pinned} <25`);
  });
});
