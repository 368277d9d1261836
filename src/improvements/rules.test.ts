import { describe, expect, it } from 'vitest';
import { money, mayEdit, mayReview, parsePounds, poundsText } from './rules.ts';

describe('improvement rules', () => {
  it('reads pounds as whole pence, as people type them', () => {
    expect(parsePounds('1250', 'V')).toEqual({ pence: 125000 });
    expect(parsePounds('£1,250.5', 'V')).toEqual({ pence: 125050 });
    expect(parsePounds('0.01', 'V')).toEqual({ pence: 1 });
    expect(parsePounds('.5', 'V')).toEqual({ pence: 50 });
    // 0.1 + 0.2 style floats never happen: 19.99 is 1999 exactly.
    expect(parsePounds('19.99', 'V')).toEqual({ pence: 1999 });
  });

  it('refuses negative, non-numeric, too precise, zero and absurd amounts with GOV.UK wording', () => {
    expect(parsePounds('-1', 'Financial value')).toEqual({ error: 'Financial value must be £0.01 or more' });
    expect(parsePounds('0.00', 'Financial value')).toEqual({ error: 'Financial value must be £0.01 or more' });
    expect(parsePounds('1e5', 'Financial value')).toEqual({ error: 'Financial value must be an amount of money, like 1250 or 1250.50' });
    expect(parsePounds('12.345', 'Financial value')).toEqual({ error: 'Financial value must have no more than 2 decimal places' });
    expect(parsePounds('100000000.01', 'Financial value')).toEqual({ error: 'Financial value must be £100,000,000.00 or less' });
    expect(parsePounds('9'.repeat(20), 'Financial value')).toEqual({ error: 'Financial value must be £100,000,000.00 or less' });
  });

  it('shows pence as money and back in the box', () => {
    expect(money(123456)).toBe('£1,234.56');
    expect(money(null)).toBe('');
    expect(poundsText(125050)).toBe('1250.50');
  });

  it('reviews only submitted improvements and freezes verified ones', () => {
    expect(mayReview('submitted')).toBe(true);
    expect(mayReview('queried')).toBe(false);
    expect(mayReview('verified')).toBe(false);
    expect(mayEdit('queried')).toBe(true);
    expect(mayEdit('verified')).toBe(false);
  });
});
