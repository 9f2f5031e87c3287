import escapeHtml from 'escape-html';

/** Escapes anything for HTML text and attribute values. */
export const h = (value: unknown) => escapeHtml(String(value ?? ''));

/** The frame every HTML response shares: one stylesheet from this origin, no scripts. `main` is trusted markup. */
export function htmlDocument(title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<main>
${main}
</main>
</body>
</html>`;
}
