import express, { Router, type RequestHandler } from 'express';
import { problemHandler } from '../http/problem';
import { renderProblemPage } from '../http/problem-pages';
import type { Logger } from '../observability/logger';
import { formToInput, formValues } from './form-input';
import { parseListQuery } from './list-query';
import { validateCreate } from './medication-input';
import { PAGE_CSS, renderPage } from './medication-page';
import type { MedicationRepository } from './medication-repository';

const PAGE_SIZE = 50;
const FIRST_PAGE = { limit: PAGE_SIZE, cursor: null, q: null };

/**
 * The HTML front: list, search, and a form that posts back to the same page; errors answer as pages too.
 * `writeGuard` checks where the form came from and its credential first; its 403 and 401 are pages (the 401 also the
 * browser's password prompt).
 */
export function pageRoutes(repository: MedicationRepository, bodyLimit: number, logger: Logger, writeGuard: RequestHandler[]): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const parsed = parseListQuery({ ...(req.query as Record<string, unknown>), limit: String(PAGE_SIZE) });
    if (parsed.ok) {
      res.type('html').send(renderPage({ page: await repository.list(parsed.value), q: parsed.value.q }));
      return;
    }
    // A broken or hand-edited link: say so above the newest medications rather than guess.
    const notice = `This link cannot be followed: ${parsed.errors.map((e) => `${'parameter' in e ? e.parameter : e.pointer} ${e.detail}`).join('; ')}.`;
    res.status(400).type('html').send(renderPage({ page: await repository.list(FIRST_PAGE), q: null, notice }));
  });

  router.post('/', ...writeGuard, express.urlencoded({ extended: false, limit: bodyLimit, parameterLimit: 20 }), async (req, res) => {
    const input = validateCreate(formToInput(req.body));
    if (input.ok) {
      await repository.create(input.value);
      res.redirect(303, '/');
      return;
    }
    const page = await repository.list(FIRST_PAGE);
    res.status(422).type('html').send(renderPage({ page, q: null, values: formValues(req.body), errors: input.errors }));
  });

  router.get('/assets/app.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=3600').send(PAGE_CSS);
  });

  router.use(problemHandler(logger, (res, problem) => res.status(problem.status).type('html').send(renderProblemPage(problem))));
  return router;
}
