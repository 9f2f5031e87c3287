import express, { Router } from 'express';
import { formToInput, formValues } from './form-input';
import { validateCreate } from './medication-input';
import { PAGE_CSS, renderPage } from './medication-page';
import type { MedicationRepository } from './medication-repository';
import { parseListQuery } from './list-query';

const PAGE_SIZE = 50;

/** The HTML front: list, search, and a form that posts back to the same page. */
export function pageRoutes(repository: MedicationRepository, bodyLimit: number): Router {
  const router = Router();
  const listFor = async (query: Record<string, unknown>) => {
    const parsed = parseListQuery({ ...query, limit: String(PAGE_SIZE) });
    const value = parsed.ok ? parsed.value : { limit: PAGE_SIZE, cursor: null, q: null };
    return { page: await repository.list(value), q: value.q };
  };

  router.get('/', async (req, res) => {
    res.type('html').send(renderPage(await listFor(req.query as Record<string, unknown>)));
  });

  router.post('/', express.urlencoded({ extended: false, limit: bodyLimit, parameterLimit: 20 }), async (req, res) => {
    const input = validateCreate(formToInput(req.body));
    if (input.ok) {
      await repository.create(input.value);
      res.redirect(303, '/');
      return;
    }
    const view = await listFor({});
    res.status(422).type('html').send(renderPage({ ...view, values: formValues(req.body), errors: input.errors }));
  });

  router.get('/assets/app.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=3600').send(PAGE_CSS);
  });

  return router;
}
