// Hints that send the operator to a section of the docs must name one that exists.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { typescriptFiles } from '../../github/aws-sdk-actions.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** `README "Section"`, `docs/runbook.md, "Section"`, `docs/aws-setup.md "Section"` in the CLI's source. */
const REFERENCE = /\b(README|docs\/[\w-]+\.md),? "([^"]+)"/g;

/** The headings of a markdown file, without the #s and a leading step number ("3. "). */
function headings(file: string): string[] {
  return readFileSync(`${root}${file}`, 'utf8')
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => line.replace(/^#+ /, '').replace(/^\d+\. /, '').trim());
}

describe('references to the docs', () => {
  const references = typescriptFiles(`${root}scripts`).flatMap((path) =>
    [...readFileSync(path, 'utf8').matchAll(REFERENCE)].map(([, doc = '', section = '']) => ({ from: path.slice(root.length), file: doc === 'README' ? 'README.md' : doc, section })),
  );

  it('are found in the CLI (the check looks at something)', () => {
    expect(references.length).to.be.greaterThan(0);
  });

  it('each name a heading that exists in that file', () => {
    const missing = references.filter((r) => !headings(r.file).includes(r.section)).map((r) => `${r.from}: ${r.file} "${r.section}"`);
    expect(missing).to.deep.equal([]);
  });
});
