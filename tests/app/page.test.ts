import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app-server.js';

const CHROMIUM = '/usr/bin/chromium';

describe('the HTML page in headless Chromium', function () {
  this.timeout(60_000);
  let app: TestApp;
  let browser: Browser;

  before(async () => {
    app = await startTestApp();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('adds a medication through the form, without JavaScript, and lists it', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    await page.fill('#name', 'Metformin');
    await page.fill('#strength', '500');
    await page.selectOption('#unit', 'mg');
    await page.selectOption('#form', 'tablet');
    await page.fill('#notes', 'with <b>meals</b>');
    await Promise.all([page.waitForURL(`${app.url}/`), page.click('#add button[type=submit]')]);

    const cells = await page.locator('tbody tr').first().locator('td').allInnerTexts();
    expect(cells.slice(0, 4)).to.deep.equal(['Metformin', '500 mg', 'tablet', 'with <b>meals</b>']);
    expect(cells[4]).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(await page.locator('tbody b').count(), 'notes rendered as text, not markup').to.equal(0);
    expect(await app.count()).to.equal(1);
    await context.close();
  });

  beforeEach(async () => {
    await app.sequelize.query('TRUNCATE medications RESTART IDENTITY');
  });

  it('re-renders an invalid submission with each error beside its field and the values typed', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    await page.fill('#name', '<script>alert(1)</script>');
    await page.fill('#strength', 'a lot');
    await page.click('#add button[type=submit]');

    expect(await page.locator('#strength-error').innerText()).to.equal('must be a number');
    expect(await page.locator('#unit-error').innerText()).to.equal('is required');
    expect(await page.locator('#name-error').count(), 'a valid field has no error').to.equal(0);
    expect(await page.inputValue('#name')).to.equal('<script>alert(1)</script>');
    expect(await page.inputValue('#strength')).to.equal('a lot');
    expect(await page.getAttribute('#strength', 'aria-invalid')).to.equal('true');
    expect(await page.title()).to.match(/^Error: /);
    expect(await app.count(), 'nothing stored').to.equal(0);
    await context.close();
  });

  // A returning user comes for the list: it starts above the fold at a laptop's size and at a phone's, after the
  // search; the form sits beside it on the wide screen and after it on the narrow one.
  for (const { name, width, height, beside } of [
    { name: 'a laptop (1200×1000)', width: 1200, height: 1000, beside: true },
    { name: 'a phone (390×844)', width: 390, height: 844, beside: false },
  ]) {
    it(`shows search and the list first, above the fold, on ${name}`, async () => {
      await app.sequelize.query(
        "INSERT INTO medications (name, strength, unit, form, notes) SELECT 'Drug ' || n, n, 'mg', 'tablet', NULL FROM generate_series(1, 30) AS n",
      );
      const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width, height } });
      const page = await context.newPage();
      await page.goto(`${app.url}/`);
      const box = async (selector: string) => (await page.locator(selector).first().boundingBox()) as { x: number; y: number; width: number; height: number };
      const [search, firstRow, form] = [await box('form[role=search]'), await box('tbody tr'), await box('form#add')];
      expect(search.y, 'search above the list').to.be.below(firstRow.y);
      expect(firstRow.y + firstRow.height, 'the first row is above the fold').to.be.at.most(height);
      if (beside) {
        expect(form.x, 'the form beside the list').to.be.greaterThan(firstRow.x + firstRow.width - 1);
        expect(form.y, 'the form starts above the fold too').to.be.below(height);
      } else {
        expect(form.y, 'the form after the list').to.be.greaterThan(firstRow.y);
      }
      const scrollWidth = await page.evaluate('document.documentElement.scrollWidth');
      expect(scrollWidth, 'no sideways scrolling of the page').to.be.at.most(width);
      await context.close();
    });
  }

  it('names the list for assistive technology, and a link beside the search skips down to the form on a phone', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    expect(await page.getByRole('region', { name: 'Medication list' }).count()).to.equal(1);
    const skip = page.getByRole('link', { name: 'Add a medication', exact: true });
    const [search, link] = [await page.locator('form[role=search]').boundingBox(), await skip.boundingBox()];
    expect(link?.y, 'right after the search, above the fold').to.be.within((search?.y ?? 0) + (search?.height ?? 0), 844);
    await skip.click();
    expect(await page.evaluate('location.hash')).to.equal('#add');
    const form = (await page.locator('form#add').boundingBox()) as { y: number };
    expect(form.y, 'the form scrolled into view').to.be.within(-1, 844);
    await context.close();
  });

  it('announces a failed submission at the top, linking down to the form', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    await page.fill('#name', 'Aspirin');
    await page.click('#add button[type=submit]');
    const alert = page.locator('[role=alert] a[href="#add"]');
    expect(await alert.innerText()).to.equal('Not added: see the fields marked in the form.');
    expect(((await alert.boundingBox()) as { y: number }).y).to.be.below(844);
    await context.close();
  });
});
