import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from './config.ts';
import { DataDirLockedError, openDatabase, migrate } from './db/client.ts';
import { loadReferenceData } from './db/seed/reference.ts';
import { seedDemoResources } from './db/seed/resources.ts';
import { seedDemoEvidenceFiles } from './db/seed/improvements.ts';
import { filesystemStorage } from './files/storage.ts';
import { demoAccounts, hasPeople, seedDemo } from './db/seed/demo.ts';
import { serve, openPreparedDatabase } from './server.ts';
import { systemClock } from './clock.ts';
import { createApiToken } from './auth/service.ts';
import { findPersonByEmail } from './auth/repository.ts';
import { createAdmin } from './people/service.ts';
import { deliverPending } from './notifications/outbox.ts';
import { createMailer } from './notifications/mailer.ts';
import { sendDueReminders } from './notifications/reminders.ts';
import { sendNetworkDigests } from './networks/discussions/digest.ts';
import { exportCouncils, importRegister } from './councils/cli.ts';
import { runRetentionNow } from './privacy/retention.ts';
import { countsSummary } from './privacy/retention-kinds.ts';
import { snapshotCommand } from './evaluation/cli.ts';
import { sendScheduledSurveys } from './surveys/service.ts';

const usage = `Usage: pioneer <command>

  serve                                   start the service (same as npm start)
  db migrate                              apply migrations and load the council register
  db seed --demo                          seed demo data into an empty database
  users create-admin --email E --name N   create a programme admin and print their invitation link
  tokens create --email E --name N        create an API token for a person; prints it alone on the last line
  export councils --format csv|xlsx [--out FILE]
                                          download every council (default file councils-<date>.<format>)
  import register [--file CSV]            reload the council register (default: the shipped copy)
  reminders send                          queue and send today's reminder emails (each is sent once however often this runs)
  retention run                           apply the retention periods now (deletes and anonymises what is due; prints counts only)
  evaluation snapshot [--replace]         take this month's indicator snapshot if missing (--replace: work this month's out again; past months never change)
  surveys send-scheduled                  send the scheduled behaviour surveys to those now due (nobody is sent one twice)
`;

class UsageError extends Error {}

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      demo: { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string' },
      file: { type: 'string' },
      replace: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals.slice(0, 2).join(' ');
  const config = loadConfig();
  const ctx = { actor: null, systemLabel: 'pioneer CLI', clock: systemClock };
  if (values.help || positionals.length === 0) return void console.log(usage);
  if (command === 'serve' || positionals[0] === 'serve') return serve(config);

  if (command === 'db migrate') {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrate(database);
      const { councils } = await database.db.transaction((tx) => loadReferenceData(tx));
      console.log(`Migrations applied; ${councils} councils in the register.`);
    } finally {
      await database.close();
    }
    return;
  }

  const { database } = await openPreparedDatabase({ ...config, demo: false });
  try {
    const db = database.db;
    switch (command) {
      case 'db seed': {
        if (!values.demo) throw new UsageError('Say --demo: the only seed is demo data.');
        if (config.env === 'production') throw new UsageError('Demo data is never seeded in production.');
        if (await hasPeople(db)) throw new UsageError('The database already has people; demo data goes only into an empty database.');
        await seedDemo(db, systemClock);
        await seedDemoResources(db, systemClock, filesystemStorage(config.resourcesDir), 2021);
        await seedDemoEvidenceFiles(db, filesystemStorage(config.resourcesDir), demoAccounts.sro.email);
        console.log('Demo data seeded.');
        return;
      }
      case 'users create-admin': {
        if (!values.email || !values.name) throw new UsageError('Give --email and --name.');
        const { link } = await createAdmin(db, config, ctx, { email: values.email, name: values.name });
        await deliverPending(db, createMailer(config), systemClock);
        console.log(`Programme admin ${values.email} created. Their invitation link (single use):\n${link}`);
        return;
      }
      case 'tokens create': {
        if (!values.email || !values.name) throw new UsageError('Give --email and --name.');
        const person = await findPersonByEmail(db, values.email);
        if (!person || person.status !== 'active') throw new UsageError(`No active person has the email ${values.email}.`);
        const { token } = await createApiToken(db, ctx, person.id, values.name);
        console.log(`Token "${values.name}" created for ${person.email}. It is shown once; store it now:\n${token}`);
        return;
      }
      case 'export councils': {
        if (values.format !== 'csv' && values.format !== 'xlsx') throw new UsageError('Give --format csv or --format xlsx.');
        console.log(await exportCouncils(db, ctx, values.format, values.out));
        return;
      }
      case 'reminders send': {
        const queued = (await sendDueReminders(db, config, systemClock)) + (await sendNetworkDigests(db, config, systemClock));
        // Sent now in batches at the bulk pace's batch size; what is left goes with the service's outbox.
        const mailer = createMailer(config);
        let sent = 0;
        for (let batch = await deliverPending(db, mailer, systemClock); batch.sent > 0; batch = await deliverPending(db, mailer, systemClock)) sent += batch.sent;
        console.log(`${queued} reminder and digest emails queued; ${sent} emails sent.`);
        return;
      }
      case 'retention run': {
        console.log(`Retention run finished. ${countsSummary(await runRetentionNow(db, ctx, config.baseUrl))}.`);
        return;
      }
      case 'evaluation snapshot': {
        console.log(await snapshotCommand(db, ctx, values.replace ?? false));
        return;
      }
      case 'surveys send-scheduled': {
        const runs = await sendScheduledSurveys(db, config, ctx);
        console.log(runs.length ? runs.map((r) => `“${r.title}”: sent to ${r.sent}.`).join('\n') : 'No scheduled survey was due to anyone.');
        console.log('The emails are queued; the service’s outbox sends them.');
        return;
      }
      case 'import register': {
        console.log(await importRegister(db, ctx, values.file));
        return;
      }
    }
    throw new UsageError(`Unknown command "${positionals.join(' ')}".\n\n${usage}`);
  } finally {
    await database.close();
  }
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof DataDirLockedError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
