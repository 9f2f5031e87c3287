import { Router } from 'express';
import { h, htmlDocument } from './html-document';
import { type HttpProblem, PROBLEM_TYPES, type ProblemType, notFound } from './problem';

/** A problem as a page for browsers: what went wrong and the way back. */
export function renderProblemPage(problem: HttpProblem): string {
  return htmlDocument(
    `Error: ${problem.title} — pillbox`,
    `<h1>${h(problem.title)}</h1>
<p class="error" role="alert">${h(problem.detail)}</p>
<p><a href="/">Back to the medications</a></p>`,
  );
}

/** Each problem type's URI is a page that documents it (RFC 9457 §3.1.1: a type URI should say what it means). */
export function problemTypeRoutes(): Router {
  const router = Router();
  router.get('/:type', (req, res) => {
    const type = req.params.type as ProblemType;
    if (!Object.hasOwn(PROBLEM_TYPES, type)) throw notFound(`No problem type ${JSON.stringify(req.params.type)}.`);
    const { title, description } = PROBLEM_TYPES[type];
    res.type('html').send(htmlDocument(`${title} — pillbox`, `<h1>${h(title)}</h1>\n<p>${h(description)}</p>`));
  });
  return router;
}
