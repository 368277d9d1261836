import { dateFields } from '../../test/helpers.ts';

/** A valid CPD entry from the page (20 November 2026, before the test clock's today); each case overrides what it is about. */
export const cpdForm = (overrides: Record<string, string> = {}) => ({
  ...dateFields('date', '20', '11', '2026'),
  hours: '1.5',
  activity: 'workshop_or_webinar',
  reflection: 'Learned how to run a contract review meeting',
  ...overrides,
});
