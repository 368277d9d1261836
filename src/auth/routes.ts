import type { FastifyInstance, FastifyReply } from 'fastify';
import { eq } from 'drizzle-orm';
import type { RouteDeps } from '../app.ts';
import { organisations } from '../db/schema.ts';
import { errorView, fieldErrors } from '../web/forms.ts';
import { ValidationError } from '../web/errors.ts';
import { paths } from '../web/paths.ts';
import { unsafeInput, unsafeInputFormMessage } from '../web/input-guard.ts';
import { homePath, roleLabels, type Actor } from './policy.ts';
import { safeNext } from './next.ts';
import { endSession, requireActor, startSession } from './session.ts';
import { changePasswordForm, forgotPasswordForm, setPasswordForm, signInForm, tokenForm } from './schemas.ts';
import * as service from './service.ts';
import { listApiTokens, loadActor } from './repository.ts';

/** The account page's banners: fixed texts, so nothing from the URL reaches the page. */
const accountFlashes: Record<string, string | undefined> = {
  'password-changed': 'Your password has been changed. Any API tokens you had have been revoked.',
};

/** Sign in and out, password links, and the person's own account page with API tokens. */
export async function authRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db, config } = deps;

  app.get('/', { config: { access: 'public' } }, async (request, reply) => reply.redirect(request.actor ? homePath(request.actor) : paths.signIn()));

  app.get('/sign-in', { config: { access: 'public' } }, async (request, reply) => {
    if (request.actor) return reply.redirect(homePath(request.actor));
    const next = safeNext((request.query as Record<string, unknown>).next) ?? '';
    return reply.view('auth/views/sign-in.njk', { title: 'Sign in', next, values: {}, errors: {} });
  });

  app.post(
    '/sign-in',
    { config: { access: 'public', showsUnsafeInput: true, rateLimit: { max: config.signInRatePerMinute, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const parsed = signInForm.safeParse(request.body);
      const values = { email: (request.body as Record<string, string>)?.email ?? '' };
      const next = safeNext((request.body as Record<string, unknown>)?.next) ?? '';
      const fail = (errors: Record<string, string>) =>
        reply.code(400).view('auth/views/sign-in.njk', { title: 'Sign in', next, values, ...errorView(errors) });
      if (!parsed.success) return fail(fieldErrors(parsed.error));
      if (unsafeInput(request)) return fail({ [unsafeInput(request) === 'password' ? 'password' : 'email']: unsafeInputFormMessage });
      const personId = await service.signIn(db, config, request.ctx(), parsed.data.email, parsed.data.password);
      if (!personId) return fail({ email: service.signInFailedMessage(config) });
      await startSession(reply, deps, personId);
      const actor = await loadActor(db, personId);
      return reply.redirect(next || (actor ? homePath(actor) : paths.home()));
    },
  );

  app.post('/sign-out', { config: { access: 'signed-in' } }, async (request, reply) => {
    await endSession(request, reply, db);
    return reply.redirect(paths.signedOut());
  });

  app.get(paths.signedOut(), { config: { access: 'public' } }, async (request, reply) => {
    // Someone who is still signed in (the page opened again from history) has not signed out: "you have signed out" would be wrong.
    if (request.actor) return reply.redirect(homePath(request.actor));
    return reply.view('auth/views/signed-out.njk', { title: 'You have signed out' });
  });

  app.get('/forgot-password', { config: { access: 'public' } }, async (_request, reply) =>
    reply.view('auth/views/forgot-password.njk', { title: 'Reset your password', values: {}, errors: {} }),
  );

  app.post(
    '/forgot-password',
    { config: { access: 'public', showsUnsafeInput: true, rateLimit: { max: config.signInRatePerMinute, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const parsed = forgotPasswordForm.safeParse(request.body);
      const fail = (errors: Record<string, string>) => {
        const values = { email: (request.body as Record<string, string>)?.email ?? '' };
        return reply.code(400).view('auth/views/forgot-password.njk', { title: 'Reset your password', values, ...errorView(errors) });
      };
      if (unsafeInput(request)) return fail({ email: unsafeInputFormMessage });
      if (!parsed.success) return fail(fieldErrors(parsed.error));
      await service.requestPasswordReset(db, config, request.ctx(), parsed.data.email);
      await deps.outbox.kick();
      return reply.view('auth/views/forgot-password.njk', { title: 'Check your email', sent: true, email: parsed.data.email, hours: config.resetTtlHours });
    },
  );

  app.get<{ Params: { token: string } }>('/set-password/:token', { config: { access: 'public' } }, async (request, reply) => {
    const link = await service.findUsableLink(db, request.ctx(), request.params.token);
    if (!link || link.status === 'deactivated') return reply.code(404).view('auth/views/set-password.njk', { title: 'Link expired', expired: true });
    return reply.view('auth/views/set-password.njk', { title: 'Create a password', email: link.email, action: request.url, errors: {} });
  });

  app.post<{ Params: { token: string } }>('/set-password/:token', { config: { access: 'public' } }, async (request, reply) => {
    const parsed = setPasswordForm.safeParse(request.body);
    const link = await service.findUsableLink(db, request.ctx(), request.params.token);
    if (!link) return reply.code(404).view('auth/views/set-password.njk', { title: 'Link expired', expired: true });
    const show = (errors: Record<string, string>) =>
      reply.code(400).view('auth/views/set-password.njk', { title: 'Create a password', email: link.email, action: request.url, ...errorView(errors) });
    if (!parsed.success) return show(fieldErrors(parsed.error));
    try {
      const { personId, purpose } = await service.completePasswordLink(db, request.ctx(), request.params.token, parsed.data.password, parsed.data.confirmPassword);
      await startSession(reply, deps, personId);
      // A reset revokes the person's API tokens: the account page says so, beside the tokens.
      return reply.redirect(purpose === 'reset' ? `${paths.account()}?done=password-changed` : paths.home());
    } catch (err) {
      if (err instanceof ValidationError) return show(err.fields);
      throw err;
    }
  });

  /** The account page's view model: the person, their organisation and their tokens, plus what the request adds. */
  const renderAccount = async (actor: Actor, extra: Record<string, unknown> = {}) => {
    const [org] = await db.select({ name: organisations.name }).from(organisations).where(eq(organisations.id, actor.organisationId));
    return {
      title: 'Your account',
      organisationName: org?.name,
      roleNames: actor.roles.map((r) => roleLabels[r]).join(', '),
      tokens: await listApiTokens(db, actor.personId),
      values: {},
      errors: {},
      ...extra,
    };
  };

  app.get('/account', { config: { access: 'signed-in' } }, async (request, reply) => {
    const actor = requireActor(request);
    return reply.view('auth/views/account.njk', await renderAccount(actor, { flash: accountFlashes[String((request.query as Record<string, unknown>).done)] }));
  });

  const passwordForm = (reply: FastifyReply, errors?: Record<string, string>) =>
    reply.code(errors ? 400 : 200).view('auth/views/change-password.njk', { title: 'Change your password', ...(errors ? errorView(errors) : { errors: {} }) });

  app.get(paths.accountPassword(), { config: { access: 'signed-in' } }, (_request, reply) => passwordForm(reply));

  app.post(
    paths.accountPassword(),
    // Limited like sign-in: the form checks the current password, so it must not become a way to guess it.
    { config: { access: 'signed-in', rateLimit: { max: config.signInRatePerMinute, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const actor = requireActor(request);
      const parsed = changePasswordForm.safeParse(request.body);
      if (!parsed.success) return passwordForm(reply, fieldErrors(parsed.error));
      try {
        await service.changePassword(db, request.ctx(), parsed.data);
      } catch (err) {
        if (err instanceof ValidationError) return passwordForm(reply, err.fields);
        throw err;
      }
      // Every session ended with the old password, this one too: carry on in a new one.
      await startSession(reply, deps, actor.personId);
      return reply.redirect(`${paths.account()}?done=password-changed`);
    },
  );

  app.post('/account/tokens', { config: { access: 'signed-in' } }, async (request, reply) => {
    const actor = requireActor(request);
    const parsed = tokenForm.safeParse(request.body);
    if (!parsed.success) {
      const values = { name: (request.body as Record<string, string>)?.name ?? '' };
      return reply.code(400).view('auth/views/account.njk', await renderAccount(actor, { values, ...errorView(fieldErrors(parsed.error)) }));
    }
    const { token } = await service.createApiToken(db, request.ctx(), actor.personId, parsed.data.name);
    // Shown on this response only; never stored in plain text or put in a URL.
    reply.header('cache-control', 'no-store');
    return reply.code(201).view('auth/views/account.njk', await renderAccount(actor, { newToken: token }));
  });

  app.post<{ Params: { id: string } }>('/account/tokens/:id/revoke', { config: { access: 'signed-in' } }, async (request, reply) => {
    const actor = requireActor(request);
    if (!/^[0-9a-f-]{36}$/i.test(request.params.id)) return reply.callNotFound();
    await service.revokeApiToken(db, request.ctx(), actor.personId, request.params.id);
    return reply.redirect(`${paths.account()}#tokens`);
  });
}
