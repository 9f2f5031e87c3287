import { h, htmlDocument } from '../http/html-document';
import { FORMS, UNITS, type Medication } from './medication';
import type { FieldError } from './medication-input';
import type { Page } from './medication-repository';

/** What the person typed, echoed back when the form is re-rendered. */
export type FormValues = Partial<Record<'name' | 'strength' | 'unit' | 'form' | 'notes', string>>;

export interface PageView {
  page: Page;
  q: string | null;
  values?: FormValues;
  errors?: FieldError[];
  /** A message about the whole page, e.g. why the link could not be followed. */
  notice?: string;
}

function errorFor(errors: FieldError[], field: string): string | undefined {
  const match = errors.find((e) => 'pointer' in e && e.pointer === `#/${field}`);
  return match?.detail;
}

function fieldError(id: string, message: string | undefined): string {
  return message ? `<p class="error" id="${id}-error">${h(message)}</p>` : '';
}

const describedBy = (id: string, message: string | undefined) =>
  message ? ` aria-invalid="true" aria-describedby="${id}-error"` : '';

function options(all: readonly string[], selected: string | undefined, placeholder?: string): string {
  const first = placeholder ? `<option value="">${h(placeholder)}</option>` : '';
  return first + all.map((v) => `<option value="${h(v)}"${v === selected ? ' selected' : ''}>${h(v)}</option>`).join('');
}

function row(m: Medication): string {
  return `<tr><td>${h(m.name)}</td><td>${h(m.strength)} ${h(m.unit)}</td><td>${h(m.form)}</td><td>${h(m.notes)}</td><td><time datetime="${h(m.createdAt)}">${h(m.createdAt.slice(0, 16).replace('T', ' '))}</time></td></tr>`;
}

function form(values: FormValues, errors: FieldError[]): string {
  const e = (f: string) => errorFor(errors, f);
  const general = errors.filter((x) => 'pointer' in x && !/^#\/(name|strength|unit|form|notes)$/.test(x.pointer));
  return `<form id="add" method="post" action="/" novalidate>
  <h2>Add a medication</h2>
  ${general.map((x) => `<p class="error">${h(x.detail)}</p>`).join('')}
  <label for="name">Name</label>
  <input id="name" name="name" maxlength="120" value="${h(values.name)}"${describedBy('name', e('name'))}>
  ${fieldError('name', e('name'))}
  <label for="strength">Strength</label>
  <input id="strength" name="strength" inputmode="decimal" value="${h(values.strength)}"${describedBy('strength', e('strength'))}>
  ${fieldError('strength', e('strength'))}
  <label for="unit">Unit</label>
  <select id="unit" name="unit"${describedBy('unit', e('unit'))}>${options(UNITS, values.unit, 'Choose a unit')}</select>
  ${fieldError('unit', e('unit'))}
  <label for="form">Form</label>
  <select id="form" name="form"${describedBy('form', e('form'))}>${options(FORMS, values.form ?? 'other')}</select>
  ${fieldError('form', e('form'))}
  <label for="notes">Notes</label>
  <textarea id="notes" name="notes" maxlength="2000"${describedBy('notes', e('notes'))}>${h(values.notes)}</textarea>
  ${fieldError('notes', e('notes'))}
  <button type="submit">Add medication</button>
</form>`;
}

/** The whole page: server-rendered, works without JavaScript, every user-supplied value escaped. */
export function renderPage({ page, q, values = {}, errors = [], notice }: PageView): string {
  const older = page.nextCursor
    ? `<a rel="next" href="/?${new URLSearchParams({ ...(q ? { q } : {}), cursor: page.nextCursor }).toString().replace(/&/g, '&amp;')}">Older</a>`
    : '';
  const rows = page.items.length
    ? page.items.map(row).join('\n')
    : `<tr><td colspan="5">${q ? 'No medication matches.' : 'No medications yet.'}</td></tr>`;
  return htmlDocument(
    `${errors.length || notice ? 'Error: ' : ''}pillbox — medications`,
    // The list first, which is what a returning user comes for; the form beside it on a wide screen and after it
    // on a narrow one, where a failed submission is announced at the top with a link down to its fields.
    `<h1>Medications</h1>
${notice ? `<p class="error" role="alert">${h(notice)}</p>\n` : ''}${errors.length ? '<p class="error" role="alert"><a href="#add">Not added: see the fields marked in the form.</a></p>\n' : ''}<div class="layout">
<section class="list" aria-label="Medication list">
<form method="get" action="/" role="search">
  <label for="q">Search by name</label>
  <input id="q" name="q" type="search" value="${h(q)}">
  <button type="submit">Search</button>
</form>
<p class="to-form"><a href="#add">Add a medication</a></p>
<div class="scroll">
<table>
<thead><tr><th>Name</th><th>Strength</th><th>Form</th><th>Notes</th><th>Added (UTC)</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>
${older}
</section>
${form(values, errors)}
</div>`,
  );
}

export const PAGE_CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
main{max-width:76rem;margin:0 auto;padding:1rem}
.layout{display:grid;gap:1rem;align-items:start}
@media (min-width:56rem){.layout{grid-template-columns:minmax(0,1fr) 20rem}}
form[role=search]{grid-template-columns:1fr auto;align-items:center;gap:.5rem}
form[role=search] label{grid-column:1/-1;margin-top:0}
form[role=search] button{margin-top:0}
.to-form{margin:0 0 .5rem}
.scroll{overflow-x:auto}
form{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:1rem;margin-bottom:1rem;display:grid;gap:.25rem}
label{font-weight:600;margin-top:.5rem}
input,select,textarea{font:inherit;padding:.4rem;border:1px solid #8c959f;border-radius:4px}
[aria-invalid=true]{border-color:#cf222e}
.error{color:#cf222e;margin:0}
button{font:inherit;margin-top:.75rem;padding:.5rem 1rem;justify-self:start}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{text-align:left;padding:.4rem;border-bottom:1px solid #d0d7de;vertical-align:top;overflow-wrap:anywhere}`;
