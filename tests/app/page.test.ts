import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app-server.js';

/** Debian's Chromium, headless, with the flags this machine's closed network needs. */
const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

/** Types a complete medication into the page's form. */
async function fillMedication(page: Page, name: string): Promise<void> {
  await page.fill('#name', name);
  await page.fill('#strength', '10');
  await page.selectOption('#unit', 'mg');
}

describe('the HTML page in headless Chromium', function () {
  this.timeout(60_000);
  let app: TestApp;
  let browser: Browser;

  before(async () => {
    app = await startTestApp();
    browser = await launchChromium();
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

describe('the form in headless Chromium when writes need the password', function () {
  this.timeout(60_000);
  const PASSWORD = 'form-write-password-5e1d';
  let app: TestApp;
  let browser: Browser;

  before(async () => {
    app = await startTestApp({ writePasswords: [PASSWORD] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  const submit = async (httpCredentials?: { username: string; password: string }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, ...(httpCredentials ? { httpCredentials } : {}) });
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    await fillMedication(page, 'Lisinopril');
    const [response] = await Promise.all([page.waitForNavigation(), page.click('#add button[type=submit]')]);
    return { context, page, response };
  };

  it('answers the browser\'s password prompt and stores the medication', async () => {
    const { context, page } = await submit({ username: 'operator', password: PASSWORD });
    expect(page.url()).to.equal(`${app.url}/`);
    expect(await page.locator('tbody tr').first().locator('td').first().innerText()).to.equal('Lisinopril');
    expect(await app.count()).to.equal(1);
    await context.close();
  });

  it('challenges a browser that sends none, which is what makes it prompt for the password, storing nothing', async () => {
    await app.sequelize.query('TRUNCATE medications RESTART IDENTITY');
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    await fillMedication(page, 'Lisinopril');
    const answered = page.waitForResponse((r) => r.request().method() === 'POST');
    // With no credentials to give, Playwright cancels the prompt, and the navigation ends in net::ERR_INVALID_AUTH_CREDENTIALS.
    await Promise.all([page.waitForNavigation().catch(() => undefined), page.click('#add button[type=submit]')]);
    const response = await answered;
    expect(response.status()).to.equal(401);
    expect(await response.headerValue('www-authenticate')).to.equal('Basic realm="pillbox writes", charset="UTF-8"');
    expect(await app.count()).to.equal(0);
    await context.close();
  });

  it('shows a 401 page saying what to send when the password typed is wrong, storing nothing', async () => {
    const { context, page, response } = await submit({ username: 'operator', password: 'not-the-password' });
    expect(response?.status()).to.equal(401);
    expect(await page.title()).to.match(/^Error: Unauthorized/);
    expect(await page.locator('[role=alert]').innerText()).to.match(/^The write password sent is not the current one/);
    expect(await app.count()).to.equal(0);
    await context.close();
  });
});

describe('a form on another site posting to the app in headless Chromium (CSRF)', function () {
  this.timeout(60_000);
  const PASSWORD = 'csrf-write-password-9c4b';
  let app: TestApp;
  let browser: Browser;
  let attacker: Server;
  let attackerUrl: string;

  before(async () => {
    app = await startTestApp({ writePasswords: [PASSWORD] });
    // Another origin (another host name and port) serving a page whose form posts to the app by itself.
    const page = `<!doctype html><title>elsewhere</title><form id="f" method="post" action="${app.url}/"><input name="name" value="Forged"><input name="strength" value="5"><input name="unit" value="mg"></form><script>document.getElementById('f').submit()</script>`;
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await app?.close();
  });
  beforeEach(async () => {
    await app.sequelize.query('TRUNCATE medications RESTART IDENTITY');
  });

  // `send: 'always'` stands for the browser's auth cache: the credentials go with every request, asked for or not.
  const credentials = { username: 'operator', password: PASSWORD, send: 'always' as const };

  it('stores nothing when another site auto-submits a form while the browser holds the write password', async () => {
    const context = await browser.newContext({ httpCredentials: credentials });
    const page = await context.newPage();
    const posted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === `${app.url}/`);
    await page.goto(attackerUrl);
    const response = await posted;
    expect(response.status()).to.equal(403);
    expect(await app.count()).to.equal(0);
    await context.close();
  });

  it('still stores a medication submitted through the app\'s own form with the same browser credentials', async () => {
    const context = await browser.newContext({ httpCredentials: credentials, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    await page.fill('#name', 'Amlodipine');
    await page.fill('#strength', '5');
    await page.selectOption('#unit', 'mg');
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('#add button[type=submit]')]);
    expect(response.status()).to.equal(303);
    expect(await app.count()).to.equal(1);
    await context.close();
  });
});
