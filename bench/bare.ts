/**
 * The stack's own ceiling for a GOV.UK page (issue 9, target 1), run by `npm run bench` as a separate process:
 * a bare Fastify server with no hooks, cookies, security headers or database, serving the same kind of page as the
 * app's `/sign-in` — the GOV.UK template with its header, footer and a two-field form drawn with the GOV.UK macros:
 *   GET /view      rendered through @fastify/view (Nunjucks, templates cached), as the app renders its pages
 *   GET /compiled  the same template compiled once at start and rendered directly
 * The app's static page ÷ these is how much of what the stack can do the app keeps.
 *
 *   PORT=4000 npx tsx bench/bare.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import fastifyView from '@fastify/view';
import nunjucks from 'nunjucks';

const require = createRequire(import.meta.url);
const govukDist = path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist');

/** The same shape as the app's sign-in page: layout, header, phase banner, footer, two inputs and a button. */
const page = `{% extends "govuk/template.njk" %}
{% from "govuk/components/input/macro.njk" import govukInput %}
{% from "govuk/components/password-input/macro.njk" import govukPasswordInput %}
{% from "govuk/components/button/macro.njk" import govukButton %}
{% from "govuk/components/phase-banner/macro.njk" import govukPhaseBanner %}
{% from "govuk/components/service-navigation/macro.njk" import govukServiceNavigation %}
{% from "govuk/components/footer/macro.njk" import govukFooter %}
{% set htmlLang = "en" %}
{% block pageTitle %}{{ title }} – Pioneer – GOV.UK{% endblock %}
{% block head %}<link rel="stylesheet" href="/govuk/govuk-frontend.min.css">{% endblock %}
{% block govukServiceNavigation %}{{ govukServiceNavigation({ serviceName: "Pioneer", serviceUrl: "/" }) }}{% endblock %}
{% block beforeContent %}{{ govukPhaseBanner({ tag: { text: "Beta" }, text: "This is a new service." }) }}{% endblock %}
{% block content %}
<h1 class="govuk-heading-l">Sign in to Pioneer</h1>
<form method="post" action="/sign-in" novalidate>
  {{ govukInput({ label: { text: "Email address" }, id: "email", name: "email", type: "email", autocomplete: "email", spellcheck: false }) }}
  {{ govukPasswordInput({ label: { text: "Password" }, id: "password", name: "password", autocomplete: "current-password" }) }}
  {{ govukButton({ text: "Sign in" }) }}
</form>
{% endblock %}
{% block govukFooter %}{{ govukFooter({ meta: { items: [{ href: "/about/data", text: "Data sources and licences" }] } }) }}{% endblock %}`;

// The app's templates are files found by name; so is this one.
const viewsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-bare-'));
fs.writeFileSync(path.join(viewsDir, 'page.njk'), page);
process.on('exit', () => fs.rmSync(viewsDir, { recursive: true, force: true }));
process.on('SIGTERM', () => process.exit(0));

const env = nunjucks.configure([govukDist], { autoescape: true, noCache: false });
const compiled = nunjucks.compile(page, env);

const app = Fastify({ logger: false });
await app.register(fastifyView, {
  engine: { nunjucks },
  templates: [viewsDir, govukDist],
  options: { autoescape: true, noCache: false },
});
app.get('/view', (_request, reply) => reply.view('page.njk', { title: 'Sign in' }));
app.get('/compiled', (_request, reply) => reply.type('text/html; charset=utf-8').send(compiled.render({ title: 'Sign in' })));

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`listening ${JSON.stringify(app.server.address())}`);
