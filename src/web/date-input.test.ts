import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, dateFields, type TestApp } from '../../test/helpers.ts';
import { paths } from './paths.ts';
import { datePartsInError } from './forms.ts';

describe('which boxes of a wrong date are highlighted', () => {
  it('the missing ones, else the impossible ones, else all three', () => {
    expect(datePartsInError({ day: '1', month: '', year: '2024' })).toEqual(['month']);
    expect(datePartsInError({ day: '', month: '3', year: '' })).toEqual(['day', 'year']);
    expect(datePartsInError({ day: '32', month: '3', year: '2024' })).toEqual(['day']);
    expect(datePartsInError({ day: '3', month: '13', year: '24' })).toEqual(['month', 'year']);
    // Each box could be right, but the date does not exist or is out of range: the date as a whole is wrong.
    expect(datePartsInError({ day: '31', month: '2', year: '2024' })).toEqual(['day', 'month', 'year']);
    expect(datePartsInError({})).toEqual(['day', 'month', 'year']);
    expect(datePartsInError({ day: 'x', month: 'y', year: 'z' })).toEqual(['day', 'month', 'year']);
  });
});

describe.each(backends)('a date input with an error (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  /** The classes of each box of the cut-over date, as the page renders them. */
  const boxClasses = (html: string) =>
    Object.fromEntries(
      ['day', 'month', 'year'].map((p) => {
        const tag = new RegExp(`<input[^>]*id="cutover-${p}"[^>]*>`).exec(html)?.[0] ?? '';
        return [p, /class="([^"]*)"/.exec(tag)?.[1] ?? ''];
      }),
    );

  it('styles only the box that is wrong and links the error summary to it', async () => {
    const admin = await t.signIn('admin');
    const form = { partnerBefore: 'MHCLG', partnerAfter: 'LP', reason: 'Testing' };
    const noMonth = await admin.submit(paths.settingsManagingPartner(), { ...form, ...dateFields('cutover', '1', '', '2023') });
    expect(noMonth.statusCode).toBe(400);
    expect(noMonth.body).toContain('Cut-over date must include a month');
    expect(noMonth.body).toContain('href="#cutover-month"');
    const classes = boxClasses(noMonth.body);
    expect(classes.month).toContain('govuk-input--error');
    expect(classes.day).not.toContain('govuk-input--error');
    expect(classes.year).not.toContain('govuk-input--error');

    const notReal = await admin.submit(paths.settingsManagingPartner(), { ...form, ...dateFields('cutover', '30', '2', '2023') });
    expect(notReal.body).toContain('Cut-over date must be a real date');
    expect(notReal.body).toContain('href="#cutover-day"');
    expect(Object.values(boxClasses(notReal.body)).every((c) => c.includes('govuk-input--error'))).toBe(true);
  });
});
