import { Router, type Request } from 'express';
import { HttpProblem, invalidBody, invalidQuery, notFound } from '../http/problem';
import { validateCreate, validatePatch } from './medication-input';
import type { MedicationRepository } from './medication-repository';
import { parseListQuery } from './list-query';

const MAX_ID = 2_147_483_647;

/** Ids outside PostgreSQL's INTEGER range cannot name a row, so they are simply not found. */
function idParam(req: Request): number {
  const raw = String(req.params.id);
  const id = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(id <= MAX_ID)) throw notFound(`No medication with id ${JSON.stringify(raw)}.`);
  return id;
}

function requireJson(req: Request): void {
  if (!req.is(['application/json', 'application/*+json'])) {
    throw new HttpProblem(415, 'Send the body as application/json.');
  }
}

export function medicationRoutes(repository: MedicationRepository): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const query = parseListQuery(req.query as Record<string, unknown>);
    if (!query.ok) throw invalidQuery(query.errors);
    res.json(await repository.list(query.value));
  });

  router.post('/', async (req, res) => {
    requireJson(req);
    const input = validateCreate(req.body);
    if (!input.ok) throw invalidBody(input.errors);
    const created = await repository.create(input.value);
    res.status(201).location(`${req.baseUrl}/${created.id}`).json(created);
  });

  router.get('/:id', async (req, res) => {
    const id = idParam(req);
    const found = await repository.get(id);
    if (!found) throw notFound(`No medication with id ${id}.`);
    res.json(found);
  });

  router.patch('/:id', async (req, res) => {
    const id = idParam(req);
    requireJson(req);
    const changes = validatePatch(req.body);
    if (!changes.ok) throw invalidBody(changes.errors);
    const updated = await repository.update(id, changes.value);
    if (!updated) throw notFound(`No medication with id ${id}.`);
    res.json(updated);
  });

  router.delete('/:id', async (req, res) => {
    const id = idParam(req);
    if (!(await repository.remove(id))) throw notFound(`No medication with id ${id}.`);
    res.status(204).end();
  });

  return router;
}
