import { startApp, signIn } from './server.ts';
const paths = process.argv.slice(2);
const app = await startApp({ name: 'postgres', databaseUrl: process.env.DATABASE_URL } as never);
try {
  const cookie = await signIn(app.url);
  for (const p of paths) {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const res = await fetch(app.url + p, { headers: { cookie } });
      await res.text();
      times.push(performance.now() - t0);
      if (res.status !== 200) console.log(p, res.status);
    }
    times.sort((a, b) => a - b);
    console.log(p, 'median', times[7].toFixed(1), 'min', times[0].toFixed(1));
  }
} finally { await app.stop(); }
