import { describe, expect, it } from 'vitest';
import { contractFlags, flagDates, moneyText, poundsText } from './rules.ts';

const thresholds = { procurementActThresholdPence: 5_000_000_00, reprocurementWindowMonths: 18 };
const { procurementActThresholdPence } = thresholds;
import { poundsField } from './schemas.ts';

const today = '2026-11-26';
const contract = (over: Partial<Parameters<typeof contractFlags>[0]> = {}) => ({ totalValuePence: 100_00, endDate: '2030-01-01', kpiCount: 3, latestAssessedOn: '2026-06-01', ...over });

describe('contract flags', () => {
  it('flags the Procurement Act 2023 duties for more than £5m only', () => {
    expect(contractFlags(contract({ totalValuePence: procurementActThresholdPence }), today, thresholds).procurementAct).toBe(false);
    expect(contractFlags(contract({ totalValuePence: procurementActThresholdPence + 1 }), today, thresholds).procurementAct).toBe(true);
  });

  it('puts the next assessment 12 months after the latest, due now when there is none, overdue only after the due day', () => {
    const over = { totalValuePence: procurementActThresholdPence + 1 };
    expect(contractFlags(contract({ ...over, latestAssessedOn: '2025-11-26' }), today, thresholds)).toMatchObject({ nextAssessmentDue: '2026-11-26', assessmentOverdue: false });
    expect(contractFlags(contract({ ...over, latestAssessedOn: '2025-11-25' }), today, thresholds)).toMatchObject({ nextAssessmentDue: '2026-11-25', assessmentOverdue: true });
    expect(contractFlags(contract({ ...over, latestAssessedOn: null }), today, thresholds)).toMatchObject({ nextAssessmentDue: null, assessmentOverdue: true });
    // Under the threshold no duty applies, so nothing is due or overdue.
    expect(contractFlags(contract({ latestAssessedOn: null }), today, thresholds)).toMatchObject({ nextAssessmentDue: null, assessmentOverdue: false, tooFewKpis: false });
    expect(contractFlags(contract({ ...over, kpiCount: 2 }), today, thresholds).tooFewKpis).toBe(true);
    // The list's SQL filter compares the latest assessment with this day instead; it agrees at the boundary.
    expect(flagDates(today, thresholds).assessedSince).toBe('2025-11-26');
  });

  it('flags re-procurement for contracts ending from today to 18 months ahead, and not ended ones', () => {
    expect(flagDates(today, thresholds).reprocureBy).toBe('2028-05-26');
    expect(contractFlags(contract({ endDate: '2028-05-26' }), today, thresholds).reprocure).toBe(true);
    expect(contractFlags(contract({ endDate: '2028-05-27' }), today, thresholds).reprocure).toBe(false);
    expect(contractFlags(contract({ endDate: today }), today, thresholds)).toMatchObject({ reprocure: true, ended: false });
    expect(contractFlags(contract({ endDate: '2026-11-25' }), today, thresholds)).toMatchObject({ reprocure: false, ended: true });
  });
});

describe('money', () => {
  const parse = (v: unknown) => poundsField('Total value', 'the total value').safeParse(v);
  it('reads pounds as whole pence, without floats', () => {
    expect(parse('1,250,000.50').data).toBe(125_000_050);
    expect(parse('£0.1').data).toBe(10);
    expect(parse(0.29).data).toBe(29);
    expect(parse('5000000').data).toBe(procurementActThresholdPence);
  });
  it('refuses negative, non-numeric and over-precise amounts with GOV.UK wording', () => {
    expect(parse('-5').error?.issues[0].message).toBe('Total value must be £0 or more');
    expect(parse('five pounds').error?.issues[0].message).toBe('Total value must be an amount of money in pounds, like 250000 or 250000.50');
    expect(parse('1.005').error?.issues[0].message).toBe('Total value must not have more than 2 decimal places');
    expect(parse('').error?.issues[0].message).toBe('Enter the total value');
    expect(parse('99999999999999').error?.issues[0].message).toMatch(/^Total value must be £10,000,000,000 or less$/);
  });
  it('writes pence back as the form and the pages show them', () => {
    expect(poundsText(125_000_050)).toBe('1250000.50');
    expect(poundsText(500)).toBe('5');
    expect(moneyText(125_000_050)).toBe('£1,250,000.50');
  });
  it('writes an overspend (a negative remainder) with its sign before the pound sign', () => {
    expect(moneyText(-125_000_050)).toBe('−£1,250,000.50');
    expect(moneyText(-5)).toBe('−£0.05');
    expect(moneyText(-500)).toBe('−£5');
    expect(poundsText(-150)).toBe('-1.50');
    expect(poundsText(-100)).toBe('-1');
  });
});
