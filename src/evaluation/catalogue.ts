/**
 * The indicator catalogue: what the programme can measure about itself, each computed from the data as of a date
 * (src/evaluation/repository.ts). Critical success factors choose their indicators from here, by key.
 */
export type IndicatorUnit = 'count' | 'percent' | 'pence';

export type Indicator = {
  key: IndicatorKey;
  name: string;
  description: string;
  unit: IndicatorUnit;
  /** How the value is worked out, as a reader would want it explained. */
  computation: string;
  /** The values it can take: a target or threshold outside them is refused. `max` null means no upper bound. */
  range: { min: number; max: number | null };
  /** Whether a higher value is better (RAG thresholds then read "at least"). */
  higherIsBetter: boolean;
  /** Whether the value is a count of people or councils that could identify someone when small (suppressed for funders). */
  countsPeople: boolean;
};

export const indicatorKeys = [
  'funded_places_used',
  'accredited_within_12_months',
  'learners_retained',
  'network_attendance_per_council',
  'councils_baseline_and_follow_up',
  'councils_improved_maturity',
  'verified_improvements',
  'verified_improvement_value',
] as const;
export type IndicatorKey = (typeof indicatorKeys)[number];

const percent = { min: 0, max: 100 };
const count = { min: 0, max: null };

export const indicators: readonly Indicator[] = [
  {
    key: 'funded_places_used',
    name: 'Funded places used',
    description: 'How much of the funded places allocated to councils has been taken up by approved learners.',
    unit: 'percent',
    computation: 'Places taken by approved enrolments, as a percentage of places allocated, over every period (places given back by early withdrawals are not counted as taken).',
    range: percent,
    higherIsBetter: true,
    countsPeople: false,
  },
  {
    key: 'accredited_within_12_months',
    name: 'Learners accredited within 12 months',
    description: 'Of learners registered at least 12 months ago, the share accredited within 12 months of registering.',
    unit: 'percent',
    computation: 'Enrolments registered on or before the date 12 months ago; of those, the percentage whose accreditation was awarded no later than 12 months after registration.',
    range: percent,
    higherIsBetter: true,
    countsPeople: false,
  },
  {
    key: 'learners_retained',
    name: 'Learners retained',
    description: 'Of learners who have registered, the share who have not withdrawn.',
    unit: 'percent',
    computation: 'Enrolments registered on or before the date, as a percentage: those not withdrawn over all of them.',
    range: percent,
    higherIsBetter: true,
    countsPeople: false,
  },
  {
    key: 'network_attendance_per_council',
    name: 'Network attendance per active council',
    description: 'Network event attendances by council staff for each council active in the programme.',
    unit: 'count',
    computation: 'Attendances recorded at network events that started on or before the date, by people of councils, divided by the number of active councils (one decimal place).',
    range: count,
    higherIsBetter: true,
    countsPeople: false,
  },
  {
    key: 'councils_baseline_and_follow_up',
    name: 'Councils with a maturity baseline and follow-up',
    description: 'Councils that have submitted both a maturity baseline and at least one follow-up assessment.',
    unit: 'count',
    computation: 'Councils with a submitted baseline and a submitted follow-up, both submitted on or before the date.',
    range: count,
    higherIsBetter: true,
    countsPeople: true,
  },
  {
    key: 'councils_improved_maturity',
    name: 'Councils improved by a maturity level',
    description: 'Councils whose latest follow-up scores at least one level higher than their baseline in at least one area.',
    unit: 'count',
    computation: 'Councils whose latest submitted follow-up (as of the date) has an area scored at least one level above the baseline’s score for it; moderated scores are used where given.',
    range: count,
    higherIsBetter: true,
    countsPeople: true,
  },
  {
    key: 'verified_improvements',
    name: 'Verified improvements',
    description: 'Improvements councils have recorded that the programme has verified.',
    unit: 'count',
    computation: 'Improvements with status verified, made on or before the date.',
    range: count,
    higherIsBetter: true,
    countsPeople: true,
  },
  {
    key: 'verified_improvement_value',
    name: 'Verified improvement value',
    description: 'The value in pounds of verified improvements (savings, cost avoided and the like).',
    unit: 'pence',
    computation: 'The sum of the values of verified improvements made on or before the date, in pence.',
    range: count,
    higherIsBetter: true,
    countsPeople: false,
  },
];

export const indicatorByKey = new Map<string, Indicator>(indicators.map((i) => [i.key, i]));
