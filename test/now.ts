/**
 * The instant every test treats as "now": the seeded demo data and every test app's clock start here,
 * so no test depends on the calendar date the suite happens to run on.
 */
export const testNow = '2026-11-26T10:00:00Z';
