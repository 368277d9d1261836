/**
 * The stack's own ceiling for a GOV.UK page (issue 9, target 1), run by `npm run bench` as a separate process:
 * a bare Fastify server with no hooks, cookies, security headers or database, serving the same kind of page as the
 * app's `/sign-in` — the GOV.UK template with its header, footer and a two-field form drawn with the GOV.UK macros:
 *   GET /view      rendered through @fastify/view (Nunjucks, templates cached), as the app renders its pages
 *   GET /compiled  the same template compiled once at start and rendered directly
 * The app's static page ÷ these is how much of what the stack can do the app keeps.
 *
 * With DATABASE_URL (a database `bench/generate.ts` filled), also the stack's ceiling for a list page:
 *   GET /list[?page=N]  the people list as the app draws it — the same layout, a filter form whose organisation select
 *                       holds every organisation, a table of 50 people, pagination — from one compiled template, its
 *                       rows read on each request by the app's own statement through `pg` (no ORM), the organisations
 *                       and the total read once at start (the app keeps both between changes). Plain loops, no macro
 *                       per row or option: the cheapest Nunjucks list page, against which the app's lists are compared.
 *   GET /api/people[?page=N]  the same fifty people as JSON with /api/v1/people's fields and meta: the stack's ceiling
 *                       for an API list, against which the app's API lists are compared.
 *
 *   PORT=4000 npx tsx bench/bare.ts
 *   PORT=4000 DATABASE_URL=postgres://…/bench npx tsx bench/bare.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import fastifyView from '@fastify/view';
import nunjucks from 'nunjucks';
import pg from 'pg';

const require = createRequire(import.meta.url);
const govukDist = path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist');

/** What every page here shares, as the app's layout does: the GOV.UK template, service navigation, phase banner, footer. */
const layout = `{% extends "govuk/template.njk" %}
{% from "govuk/components/phase-banner/macro.njk" import govukPhaseBanner %}
{% from "govuk/components/service-navigation/macro.njk" import govukServiceNavigation %}
{% from "govuk/components/footer/macro.njk" import govukFooter %}
{% set htmlLang = "en" %}
{% block pageTitle %}{{ title }} – Pioneer – GOV.UK{% endblock %}
{% block head %}<link rel="stylesheet" href="/govuk/govuk-frontend.min.css">{% endblock %}
{% block govukServiceNavigation %}{{ govukServiceNavigation({ serviceName: "Pioneer", serviceUrl: "/", navigation: navigation }) }}{% endblock %}
{% block beforeContent %}{{ govukPhaseBanner({ tag: { text: "Beta" }, text: "This is a new service." }) }}{% endblock %}
{% block govukFooter %}{{ govukFooter({ meta: { items: [{ href: "/about/data", text: "Data sources and licences" }] } }) }}{% endblock %}`;

/** The same shape as the app's sign-in page: the layout, two inputs and a button. */
const page = `{% extends "layout.njk" %}
{% from "govuk/components/input/macro.njk" import govukInput %}
{% from "govuk/components/password-input/macro.njk" import govukPasswordInput %}
{% from "govuk/components/button/macro.njk" import govukButton %}
{% block content %}
<h1 class="govuk-heading-l">Sign in to Pioneer</h1>
<form method="post" action="/sign-in" novalidate>
  {{ govukInput({ label: { text: "Email address" }, id: "email", name: "email", type: "email", autocomplete: "email", spellcheck: false }) }}
  {{ govukPasswordInput({ label: { text: "Password" }, id: "password", name: "password", autocomplete: "current-password" }) }}
  {{ govukButton({ text: "Sign in" }) }}
</form>
{% endblock %}`;

/** The people list: the layout with a signed-in navigation, a filter form, fifty rows and pagination. */
const listPage = `{% extends "layout.njk" %}
{% from "govuk/components/input/macro.njk" import govukInput %}
{% from "govuk/components/button/macro.njk" import govukButton %}
{% from "govuk/components/pagination/macro.njk" import govukPagination %}
{% block content %}
<h1 class="govuk-heading-l">People</h1>
<form method="get" action="/list" novalidate>
  {{ govukInput({ label: { text: "Search by name or email address" }, id: "q", name: "q", type: "search", spellcheck: false }) }}
  <div class="govuk-form-group"><label class="govuk-label" for="organisationId">Organisation</label>
  <select class="govuk-select" id="organisationId" name="organisationId"><option value="">All organisations</option>
  {% for o in organisations %}<option value="{{ o.id }}">{{ o.name }}</option>
  {% endfor %}</select></div>
  {{ govukButton({ text: "Apply filters" }) }}
</form>
<p class="govuk-body" role="status">Showing {{ from }} to {{ to }} of {{ total }} people</p>
<table class="govuk-table">
  <caption class="govuk-table__caption govuk-visually-hidden">People</caption>
  <thead class="govuk-table__head"><tr class="govuk-table__row">
    <th scope="col" class="govuk-table__header">Name</th><th scope="col" class="govuk-table__header">Email address</th>
    <th scope="col" class="govuk-table__header">Organisation</th><th scope="col" class="govuk-table__header">Roles</th>
    <th scope="col" class="govuk-table__header">Status</th></tr></thead>
  <tbody class="govuk-table__body">
  {% for p in people %}
    <tr class="govuk-table__row">
      <th scope="row" class="govuk-table__header"><a class="govuk-link" href="/people/{{ p.id }}">{{ p.name }}</a></th>
      <td class="govuk-table__cell">{{ p.email }}</td>
      <td class="govuk-table__cell">{{ p.organisationName }}</td>
      <td class="govuk-table__cell">{{ p.rolesText }}</td>
      <td class="govuk-table__cell"><strong class="govuk-tag {{ p.statusClass }}">{{ p.status }}</strong></td>
    </tr>
  {% endfor %}
  </tbody>
</table>
{{ govukPagination(pagination) }}
{% endblock %}`;

// The app's templates are files found by name; so is this one.
const viewsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-bare-'));
fs.writeFileSync(path.join(viewsDir, 'layout.njk'), layout);
fs.writeFileSync(path.join(viewsDir, 'page.njk'), page);
process.on('exit', () => fs.rmSync(viewsDir, { recursive: true, force: true }));
process.on('SIGTERM', () => process.exit(0));

const env = nunjucks.configure([viewsDir, govukDist], { autoescape: true, noCache: false });
const compiled = nunjucks.compile(page, env);

const app = Fastify({ logger: false });
await app.register(fastifyView, {
  engine: { nunjucks },
  templates: [viewsDir, govukDist],
  options: { autoescape: true, noCache: false },
});
app.get('/view', (_request, reply) => reply.view('page.njk', { title: 'Sign in' }));
app.get('/compiled', (_request, reply) => reply.type('text/html; charset=utf-8').send(compiled.render({ title: 'Sign in' })));
if (process.env.DATABASE_URL) await serveList(process.env.DATABASE_URL);

/** GET /list: the people list page with nothing but the stack (see above). */
async function serveList(databaseUrl: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  process.on('exit', () => void pool.end());
  const organisations = (await pool.query<{ id: string; name: string }>('select id, name from organisations order by lower(name)')).rows;
  const total = Number((await pool.query<{ n: string }>('select count(*) as n from people')).rows[0].n);
  const pageSize = 50;
  const lastPage = Math.ceil(total / pageSize);
  // The app's statement for a page of the default order (people/repository.ts): the page's ids from the
  // (lower(name), id) index, then those fifty joined to their organisations.
  const pageRows = (offset: number) =>
    pool.query<{ id: string; name: string; email: string; organisationId: string; organisationName: string; jobTitle: string | null; roles: string[]; status: string; version: number }>({
      name: 'bare-people-page',
      text: `select p.id, p.name, p.email, p.organisation_id as "organisationId", o.name as "organisationName",
                    p.job_title as "jobTitle", p.roles, p.status, p.version
               from people p join organisations o on o.id = p.organisation_id
              where p.id in (select p.id from people p order by lower(p.name) asc, p.id limit $1 offset $2)
              order by lower(p.name) asc, p.id`,
      values: [pageSize, offset],
    });
  const pageOf = (query: { page?: string }) => Math.min(lastPage, Math.max(1, Number(query.page) || 1));
  const statusClasses: Record<string, string> = { active: 'govuk-tag--green', invited: 'govuk-tag--blue', deactivated: 'govuk-tag--grey' };
  const list = nunjucks.compile(listPage, env);
  const navigation = [
    { href: '/dashboard', text: 'Dashboard' },
    { href: '/councils', text: 'Councils' },
    { href: '/list', text: 'People', active: true },
    { href: '/learners', text: 'Learners' },
    { href: '/audit', text: 'Audit log' },
  ];
  // The same page as the API's JSON (/api/v1/people's fields and meta), for the API lists' yardstick.
  app.get<{ Querystring: { page?: string } }>('/api/people', async (request) => {
    const page = pageOf(request.query);
    return { data: (await pageRows((page - 1) * pageSize)).rows, meta: { total, page, pageSize } };
  });
  app.get<{ Querystring: { page?: string } }>('/list', async (request, reply) => {
    const page = pageOf(request.query);
    const { rows } = await pageRows((page - 1) * pageSize);
    const people = rows.map((p) => ({ ...p, rolesText: p.roles.join(', '), statusClass: statusClasses[p.status] ?? '' }));
    const pagination = {
      previous: page > 1 ? { href: `/list?page=${page - 1}` } : undefined,
      next: page < lastPage ? { href: `/list?page=${page + 1}` } : undefined,
      items: [1, page - 1, page, page + 1, lastPage]
        .filter((n, i, all) => n >= 1 && n <= lastPage && all.indexOf(n) === i)
        .map((n) => ({ number: n, href: `/list?page=${n}`, current: n === page })),
    };
    return reply
      .type('text/html; charset=utf-8')
      .send(list.render({ title: 'People', navigation, people, organisations, total, from: (page - 1) * pageSize + 1, to: (page - 1) * pageSize + rows.length, pagination }));
  });
}

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`listening ${JSON.stringify(app.server.address())}`);
