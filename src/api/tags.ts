/** The API's tags, each with the description the OpenAPI document gives it; an operation's tag must be one of these. */
export const apiTags = {
  Councils: 'The 317 English councils of the register (and any added since), their programme status, participation and assigned commercial specialists.',
  People: 'Everyone with an account: council staff, partner staff, specialists, funders and learners, with their roles.',
  'Funded places': 'Funded training places allocated to each council per level and financial year, and how many are taken.',
  Cohorts: 'Training cohorts per level, with their workshop dates, capacity and seats left.',
  Enrolments: 'Officers nominated for a level, and each step of their journey from nomination to accreditation.',
  Learners: 'People with an enrolment: their accreditations, Foundation renewals and CPD logs.',
  Imports: 'Spreadsheet uploads (CSV or XLSX) of nominations and training results, applied all or nothing.',
  Audit: 'The audit log: every change of data, who made it and when.',
  Dashboard: 'The programme in figures, as the dashboard shows them: counts only, with small counts hidden from funders and observers.',
  Networks: 'The Learners Network and the SRO Network: their events (registration, waitlists, calendars) and their resource library (case studies, toolkits, templates), for their members.',
  Maturity: 'Contract management maturity assessments: each council’s baseline and follow-ups against the framework’s areas, drafted, submitted (then unchangeable) and moderated by specialists.',
  Engagements: 'Transformation engagements: a specialist’s support for a council, the time logged against the plan, and the action plan the council’s SRO signs off.',
  Contracts: 'A council’s key contracts and their KPIs, flagged for the Procurement Act 2023 duties (over £5m) and for re-procurement planning (ending within 18 months).',
  Improvements: 'The improvements register: demonstrable improvements councils record (with their financial value, cashable or not, and the learners who made them), verified or queried by the specialists assigned to them.',
  Surveys: 'Surveys along Kirkpatrick’s levels (reaction, behaviour, results), sent with single-use links; their aggregated results, with counts under 5 hidden.',
  Evaluation: 'The programme’s evaluation indicators, as the evaluation page shows them: figures only, with small counts of councils hidden from funders and observers.',
  Reports: 'Quarterly reports to funders, archived as they were made (figures as JSON, PDF and XLSX): aggregates only, with small counts hidden.',
  Funding: 'The programme’s funds and their budget lines: budget, committed, spent, remaining and forecast (figures for funders and observers), and the spend recorded against them (programme staff).',
} as const;

export type ApiTag = keyof typeof apiTags;
