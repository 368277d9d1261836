import { loadConfig, ConfigError } from './config.ts';
import { DataDirLockedError } from './db/client.ts';
import { serve } from './server.ts';

/** `npm start`: serve with the environment's configuration. Known start-up problems print a sentence, not a stack. */
try {
  await serve(loadConfig());
} catch (err) {
  if (err instanceof ConfigError || err instanceof DataDirLockedError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
