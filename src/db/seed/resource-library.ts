/**
 * The demo resource library (about 40): public guidance as links, and fictional case studies and templates as small
 * generated files. The stories are invented; they read like what councils in the programme report. Links point at
 * public pages of gov.uk, legislation.gov.uk and the like.
 */
import { simplePdf } from './simple-pdf.ts';

export type DemoResource = {
  title: string;
  summary: string;
  type: 'case_study' | 'toolkit' | 'template' | 'other';
  tags: string[];
  networks: ('learners' | 'sro')[];
  /** The demo council (the demo SRO's), for the story told about it. */
  demoCouncil?: boolean;
  daysAgo: number;
} & ({ link: string } | { file: { name: string; contentType: string; bytes: () => Buffer } });

const story = (title: string, paragraphs: string[]) => simplePdf(title, paragraphs.flatMap((p) => [...wrap(p), '']));
/** Lines of at most 90 characters, for the PDF's fixed-width page. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if ((line + ' ' + word).trim().length > 90) {
      lines.push(line);
      line = word;
    } else line = `${line} ${word}`.trim();
  }
  return line ? [...lines, line] : lines;
}

/**
 * The demo library: public guidance as links, and fictional case studies and a template as small generated files.
 * The stories are invented; they read like what councils in the programme report.
 */
const featured: DemoResource[] = [
  {
    title: 'Good practice contract management framework (NAO)',
    summary: 'The National Audit Office’s framework of the areas of good contract management, from planning and governance to supplier relationship management. The areas Pioneer’s maturity assessment follows.',
    type: 'toolkit',
    tags: ['nao', 'framework', 'maturity'],
    networks: ['learners', 'sro'],
    daysAgo: 180,
    link: 'https://www.nao.org.uk/insights/good-practice-contract-management-framework/',
  },
  {
    title: 'Procurement Act 2023 guidance documents',
    summary: 'The government’s guidance on the Procurement Act 2023, in force since 24 February 2025: contract performance notices, KPIs for contracts over £5m, change and termination notices.',
    type: 'toolkit',
    tags: ['procurement act', 'kpis', 'notices'],
    networks: ['learners', 'sro'],
    daysAgo: 120,
    link: 'https://www.gov.uk/government/collections/procurement-act-2023-guidance-documents',
  },
  {
    title: 'The Sourcing and Consultancy Playbooks',
    summary: 'Cabinet Office playbooks on sourcing decisions, delivery model assessments and working with consultancies, useful when a contract comes up for renewal.',
    type: 'toolkit',
    tags: ['sourcing', 'renewal'],
    networks: ['sro'],
    daysAgo: 90,
    link: 'https://www.gov.uk/government/publications/the-sourcing-and-consultancy-playbooks',
  },
  {
    title: 'From spreadsheets to a contract register in 90 days',
    summary: 'How a council’s contracts team found 412 contracts across nine directorates, agreed one owner for each and published a register that now drives its renewal pipeline.',
    type: 'case_study',
    tags: ['contract register', 'governance'],
    networks: ['learners', 'sro'],
    demoCouncil: true,
    daysAgo: 30,
    file: {
      name: 'Contract register in 90 days.pdf',
      contentType: 'application/pdf',
      bytes: () =>
        story('From spreadsheets to a contract register in 90 days', [
          'This case study is fictional, written for Pioneer’s demonstration data.',
          'The council knew its largest contracts but not the long tail. Each directorate kept its own spreadsheet, in its own format, and renewal dates were found when a supplier wrote.',
          'Two officers on the Practitioner course took the register on as their workplace project. They agreed six fields that every contract must have (owner, supplier, value, start, end, renewal decision date), asked each directorate for its list, and met every contract owner for fifteen minutes.',
          'After 90 days the register held 412 contracts. Forty-three had no owner; each now has one. Eleven had already passed their end date and were running on without a contract; all eleven now have a decision recorded.',
          'What helped: a senior sponsor who asked for the register at each management team meeting, and a short template rather than a system.',
        ]),
    },
  },
  {
    title: 'Three KPIs that changed a highways contract',
    summary: 'A county council replaced 27 unread KPIs on its highways maintenance contract with three that the supplier and the council both watch monthly, and saw response times fall.',
    type: 'case_study',
    tags: ['kpis', 'highways', 'performance'],
    networks: ['learners'],
    daysAgo: 60,
    file: {
      name: 'Three KPIs highways.pdf',
      contentType: 'application/pdf',
      bytes: () =>
        story('Three KPIs that changed a highways contract', [
          'This case study is fictional, written for Pioneer’s demonstration data.',
          'The contract had 27 KPIs. The supplier reported them quarterly in a 60-page pack that nobody at the council read to the end.',
          'The contract manager and the supplier’s account director chose three: category 1 defects made safe within 2 hours, planned schemes finished on the agreed date, and complaints answered within 10 working days.',
          'They now meet monthly for an hour with one page of figures. Within six months, category 1 response within 2 hours rose from 81% to 96%.',
        ]),
    },
  },
  {
    title: 'Ending an outsourced leisure contract well',
    summary: 'Exit planning started 18 months before the end date: the asset list, staff transfer information and a joint exit board kept services open on the first day of the new arrangement.',
    type: 'case_study',
    tags: ['exit', 'leisure', 'risk'],
    networks: ['sro'],
    daysAgo: 14,
    file: {
      name: 'Leisure contract exit.pdf',
      contentType: 'application/pdf',
      bytes: () =>
        story('Ending an outsourced leisure contract well', [
          'This case study is fictional, written for Pioneer’s demonstration data.',
          'The council decided to bring its leisure centres back in house when the 15-year contract ended. The SRO set up an exit board with the supplier 18 months before the end date.',
          'The board agreed an asset register, checked every lease and licence, and had staff transfer information a full six months before transfer. Every centre opened on the first morning.',
        ]),
    },
  },
  {
    title: 'KPI tracker template',
    summary: 'A simple CSV to track a contract’s KPIs month by month: target, actual, status and the action agreed. Opens in any spreadsheet.',
    type: 'template',
    tags: ['kpis', 'template', 'performance'],
    networks: ['learners', 'sro'],
    daysAgo: 45,
    file: {
      name: 'KPI tracker.csv',
      contentType: 'text/csv',
      bytes: () =>
        Buffer.from(
          'Contract,KPI,Month,Target,Actual,Status,Action agreed\n' +
            'Highways maintenance,Category 1 defects made safe in 2 hours,2026-04,95%,91%,Approaching target,Extra night crew from May\n' +
            'Highways maintenance,Category 1 defects made safe in 2 hours,2026-05,95%,96%,Good,\n',
        ),
    },
  },
];


/** Public guidance and law, as links. */
const guidance: DemoResource[] = [
  { title: 'Procurement Act 2023', summary: 'The Act itself on legislation.gov.uk: Part 5 on contract management, including KPIs, payments, contract change and termination.', type: 'other', tags: ['procurement act', 'law'], networks: ['learners', 'sro'], daysAgo: 300, link: 'https://www.legislation.gov.uk/ukpga/2023/54/contents' },
  { title: 'Public Contracts Regulations 2015', summary: 'The rules that still govern contracts awarded before 24 February 2025, including when a contract may be modified without a new procurement (regulation 72).', type: 'other', tags: ['law', 'contract change'], networks: ['learners', 'sro'], daysAgo: 340, link: 'https://www.legislation.gov.uk/uksi/2015/102/contents' },
  { title: 'Public Services (Social Value) Act 2012', summary: 'The duty to consider economic, social and environmental well-being when buying services, and so to manage what suppliers promised.', type: 'other', tags: ['social value', 'law'], networks: ['learners'], daysAgo: 330, link: 'https://www.legislation.gov.uk/ukpga/2012/3/contents' },
  { title: 'Local Government Act 1999: the best value duty', summary: 'The duty on councils to secure continuous improvement in the way they work, the footing of contract reviews and supplier challenge.', type: 'other', tags: ['best value', 'law'], networks: ['sro'], daysAgo: 320, link: 'https://www.legislation.gov.uk/ukpga/1999/27/contents' },
  { title: 'Best value standards and intervention: statutory guide', summary: 'The statutory guide to best value for councils, with the signs of failure that include weak contract management and oversight of partners.', type: 'toolkit', tags: ['best value', 'governance'], networks: ['sro'], daysAgo: 200, link: 'https://www.gov.uk/government/publications/best-value-standards-and-intervention-a-statutory-guide-for-best-value-authorities' },
  { title: 'Government Functional Standard GovS 008: Commercial', summary: 'What good commercial practice looks like across the public sector, from strategy to contract management and exit.', type: 'toolkit', tags: ['standards', 'maturity'], networks: ['learners', 'sro'], daysAgo: 250, link: 'https://www.gov.uk/government/publications/government-functional-standard-govs-008-commercial' },
  { title: 'National Procurement Policy Statement', summary: 'The government’s priorities for public procurement, which contract managers help deliver through what they track with suppliers.', type: 'other', tags: ['policy', 'procurement act'], networks: ['sro'], daysAgo: 150, link: 'https://www.gov.uk/government/publications/national-procurement-policy-statement' },
  { title: 'Taking account of social value (PPN 06/20)', summary: 'The social value model: themes, outcomes and how to measure what a supplier delivers over the life of a contract.', type: 'toolkit', tags: ['social value', 'kpis'], networks: ['learners'], daysAgo: 210, link: 'https://www.gov.uk/government/publications/procurement-policy-note-0620-taking-account-of-social-value-in-the-award-of-central-government-contracts' },
  { title: 'Tackling modern slavery in government supply chains', summary: 'Guidance on finding and managing modern slavery risks in existing contracts, with questions to ask suppliers at review meetings.', type: 'toolkit', tags: ['modern slavery', 'risk'], networks: ['learners', 'sro'], daysAgo: 190, link: 'https://www.gov.uk/government/publications/tackling-modern-slavery-in-government-supply-chains' },
  { title: 'Supplier Code of Conduct', summary: 'What the public sector expects of its suppliers and their supply chains: a useful reference when a supplier’s conduct is in question.', type: 'other', tags: ['suppliers', 'conduct'], networks: ['learners'], daysAgo: 170, link: 'https://www.gov.uk/government/publications/supplier-code-of-conduct' },
  { title: 'The Green Book: appraisal and evaluation', summary: 'HM Treasury’s guidance on appraising options, useful when deciding whether to re-procure, extend or bring a service in house.', type: 'toolkit', tags: ['options appraisal', 'renewal'], networks: ['sro'], daysAgo: 280, link: 'https://www.gov.uk/government/publications/the-green-book-appraisal-and-evaluation-in-central-government' },
  { title: 'The Orange Book: management of risk', summary: 'Principles and concepts of risk management, for contract risk registers that are reviewed rather than filed.', type: 'toolkit', tags: ['risk', 'governance'], networks: ['learners', 'sro'], daysAgo: 260, link: 'https://www.gov.uk/government/publications/orange-book' },
  { title: 'The Magenta Book: guidance on evaluation', summary: 'How to evaluate whether a contract delivered what it set out to, before deciding what comes next.', type: 'toolkit', tags: ['evaluation', 'renewal'], networks: ['sro'], daysAgo: 240, link: 'https://www.gov.uk/government/publications/the-magenta-book' },
  { title: 'Contracts Finder', summary: 'Search contracts published by councils and other public bodies: what a similar council pays for a similar service, and when it ends.', type: 'other', tags: ['benchmarking', 'transparency'], networks: ['learners'], daysAgo: 220, link: 'https://www.contractsfinder.service.gov.uk/' },
  { title: 'Find a Tender', summary: 'Where contract notices under the Procurement Act are published, including contract change, performance and termination notices.', type: 'other', tags: ['procurement act', 'notices', 'transparency'], networks: ['learners', 'sro'], daysAgo: 110, link: 'https://www.find-tender.service.gov.uk/' },
  { title: 'Crown Commercial Service agreements', summary: 'Frameworks and agreements councils can use, and their guidance on managing call-off contracts.', type: 'other', tags: ['frameworks', 'sourcing'], networks: ['learners'], daysAgo: 160, link: 'https://www.crowncommercial.gov.uk/agreements' },
  { title: 'CIPFA', summary: 'The Chartered Institute of Public Finance and Accountancy: guidance on financial governance that contract managers meet in budget monitoring.', type: 'other', tags: ['finance', 'governance'], networks: ['sro'], daysAgo: 350, link: 'https://www.cipfa.org/' },
  { title: 'World Commerce & Contracting', summary: 'The international association for contract management: research on where value leaks from contracts, and good practice.', type: 'other', tags: ['research', 'value leakage'], networks: ['learners'], daysAgo: 290, link: 'https://www.worldcc.com/' },
];

/** A fictional case study as a one-page PDF: every one says so first. */
const caseStudy = (title: string, fileName: string, paragraphs: string[]) => ({
  name: fileName,
  contentType: 'application/pdf',
  bytes: () => story(title, ['This case study is fictional, written for Pioneer’s demonstration data.', ...paragraphs]),
});

/** A template as a small CSV: a header and an example row or two. */
const csvTemplate = (name: string, lines: string[]) => ({ name, contentType: 'text/csv', bytes: () => Buffer.from(`${lines.join('\n')}\n`) });

/** More stories from councils, and templates, as files. */
const stories: DemoResource[] = [
  {
    title: 'Recovering a failing home care contract',
    summary: 'Missed visits rose for three months before anyone noticed. A weekly data return, a joint improvement plan and a named lead on each side turned it round in a quarter.',
    type: 'case_study', tags: ['adult social care', 'performance', 'improvement plan'], networks: ['learners', 'sro'], daysAgo: 21,
    file: caseStudy('Recovering a failing home care contract', 'Home care recovery.pdf', [
      'Complaints about missed home care visits reached the director before they reached the contract manager: the monthly report showed an average that hid one area where one visit in eight was missed.',
      'The council asked for a weekly return by area, agreed a 12-week improvement plan with the provider, and named one lead on each side who spoke every Monday.',
      'By week ten missed visits were under 1% in every area. The weekly return stayed, now monthly, by area.',
    ]),
  },
  {
    title: 'Waste collection: using the contract’s change clause well',
    summary: 'A district council added food waste collections to a running contract through its change clause, with a priced schedule agreed before the change rather than after.',
    type: 'case_study', tags: ['waste', 'contract change'], networks: ['learners'], daysAgo: 75,
    file: caseStudy('Waste collection: using the contract’s change clause well', 'Waste contract change.pdf', [
      'New duties meant weekly food waste collections had to start within the life of the waste contract. The contract had a change clause, but no rates for a new service.',
      'The contract manager asked the supplier for an open-book price built from the existing rates, had it checked by finance, and agreed it before the change was signed.',
      'The change notice was published, the new rounds started on time, and the price held through the first year.',
    ]),
  },
  {
    title: 'One register of supplier risks for the whole council',
    summary: 'A unitary council asked every contract owner the same five risk questions each quarter, and found its three biggest exposures were with one group of companies.',
    type: 'case_study', tags: ['risk', 'supplier resilience', 'governance'], networks: ['sro'], daysAgo: 95,
    file: caseStudy('One register of supplier risks for the whole council', 'Supplier risk register.pdf', [
      'Each directorate kept its own view of supplier risk. Nobody could say how much the council depended on one supplier group across services.',
      'The SRO asked every contract owner five questions each quarter: financial health, key people, delivery, subcontractors and exit readiness.',
      'The first round showed three critical contracts with companies in one group. The council agreed contingency plans for each before the group’s accounts were published late.',
    ]),
  },
  {
    title: 'Open-book review of a facilities management contract',
    summary: 'An open-book review, allowed by the contract but never used, found charges for maintenance visits that had stopped two years before.',
    type: 'case_study', tags: ['facilities management', 'open book', 'value for money'], networks: ['learners', 'sro'], daysAgo: 130,
    file: caseStudy('Open-book review of a facilities management contract', 'FM open book review.pdf', [
      'The facilities management contract allowed the council to inspect the supplier’s costs once a year. In seven years nobody had asked.',
      'Two learners on the Practitioner course made the review their project. They sampled 200 invoices against the asset list and the visit logs.',
      'Planned maintenance was still charged for two buildings the council had sold. The supplier credited the charges and the asset list is now checked each quarter.',
    ]),
  },
  {
    title: 'Bringing IT support back in house',
    summary: 'A borough council ended a ten-year IT outsourcing contract and brought the service back in house, keeping the help desk open through the change.',
    type: 'case_study', tags: ['exit', 'ict', 'insourcing'], networks: ['sro'], daysAgo: 160,
    file: caseStudy('Bringing IT support back in house', 'IT insourcing.pdf', [
      'The council’s IT contract was ending, and an options appraisal favoured running the service itself. The contract’s exit plan was five years old and two pages long.',
      'The SRO agreed a new exit plan with the supplier a year before the end: the knowledge to transfer, the licences to novate, the staff who would transfer.',
      'The help desk answered calls on the first day and on every day after. The licences were the hardest part and took longest.',
    ]),
  },
  {
    title: 'Social value that was delivered, not just promised',
    summary: 'A construction contract promised 40 apprenticeships. Quarterly evidence and a named person at the supplier meant 43 started, and the council can show it.',
    type: 'case_study', tags: ['social value', 'construction', 'kpis'], networks: ['learners'], daysAgo: 55,
    file: caseStudy('Social value that was delivered, not just promised', 'Social value delivered.pdf', [
      'Social value commitments had won the tender, but earlier contracts had reported them once, at the end, with little evidence.',
      'The contract manager made the commitments KPIs, reported quarterly with names (with consent) and start dates, and reviewed at each contract meeting.',
      'Forty-three apprenticeships started against a commitment of forty, and the council published the figures.',
    ]),
  },
  {
    title: 'Getting ready for the Procurement Act’s KPI rules',
    summary: 'How a county council found its contracts over £5m, set three KPIs for each and published its first contract performance notices.',
    type: 'case_study', tags: ['procurement act', 'kpis', 'notices'], networks: ['learners', 'sro'], daysAgo: 40,
    file: caseStudy('Getting ready for the Procurement Act’s KPI rules', 'Procurement Act KPIs.pdf', [
      'Under the Procurement Act, contracts over £5m need at least three KPIs and their performance published at least once a year.',
      'The council listed its 31 contracts in scope, agreed three KPIs for each with the contract owners, and set a calendar for assessments.',
      'Its first notices went out on time; the hardest conversations were about what “good” meant for each KPI, not about publishing.',
    ]),
  },
  {
    title: 'A contract management plan on two pages',
    summary: 'A district council replaced thick contract management plans with a two-page version each owner keeps up to date, and uses them in every review.',
    type: 'case_study', tags: ['contract management plan', 'governance'], networks: ['learners'], daysAgo: 100,
    file: caseStudy('A contract management plan on two pages', 'Two page plan.pdf', [
      'The council’s contract management plans ran to 30 pages and were written once, at award.',
      'A learner designed a two-page plan: the outcomes, the KPIs, the meetings, the risks, the key dates and who does what.',
      'Contract owners now bring the plan to every review, and the audit committee reads them for the largest contracts.',
    ]),
  },
  {
    title: 'Supplier relationship management with a strategic partner',
    summary: 'Quarterly relationship reviews, beyond the monthly performance meeting, helped a council and its highways partner agree a three-year improvement plan.',
    type: 'case_study', tags: ['supplier relationship management', 'highways'], networks: ['sro'], daysAgo: 85,
    file: caseStudy('Supplier relationship management with a strategic partner', 'Strategic partner SRM.pdf', [
      'Monthly meetings covered performance, and nothing else. Neither side spoke about what the next three years should look like.',
      'The SRO and the supplier’s director started a quarterly review of the relationship: what each needed, what got in the way, and what they would try next.',
      'Within a year they agreed a three-year improvement plan, and the monthly meetings became shorter.',
    ]),
  },
  {
    title: 'Catching auto-renewals before they happen',
    summary: 'Twenty-two contracts were found to renew automatically. A renewal calendar with six-month warnings now gives every one a decision.',
    type: 'case_study', tags: ['renewal', 'contract register'], networks: ['learners', 'sro'], daysAgo: 65,
    file: caseStudy('Catching auto-renewals before they happen', 'Auto renewals.pdf', [
      'Software and equipment contracts renewed themselves, often at higher prices, because notice periods passed unnoticed.',
      'Using the contract register, the team found 22 contracts with automatic renewal and set a calendar with a warning six months before each notice date.',
      'In the first year nine were renegotiated, four ended, and none renewed without a decision.',
    ]),
  },
  {
    title: 'Children’s placements: managing a framework, not just buying from it',
    summary: 'A council met its residential placement providers quarterly as a group, shared quality data, and agreed fee rules that cut disputes.',
    type: 'case_study', tags: ['childrens services', 'frameworks', 'market management'], networks: ['sro'], daysAgo: 115,
    file: caseStudy('Children’s placements: managing a framework, not just buying from it', 'Placements framework.pdf', [
      'Placements were bought one at a time, and fee disputes took weeks of social workers’ time.',
      'The commissioning team began quarterly provider forums, shared anonymised quality data, and agreed clear rules for fee uplifts.',
      'Disputes halved in a year, and two providers opened homes in the council’s area.',
    ]),
  },
  {
    title: 'Training contract owners across a council',
    summary: 'A council put 60 budget holders through a half-day course on their role as contract owners, and now asks for a named owner for every contract on the register.',
    type: 'case_study', tags: ['capability', 'training'], networks: ['learners'], daysAgo: 35,
    file: caseStudy('Training contract owners across a council', 'Contract owner training.pdf', [
      'Most of the council’s contracts were managed by people for whom it was a small part of a bigger job.',
      'Learners from the Practitioner course ran a half-day session for 60 budget holders: what a contract owner does, what the register needs, and when to ask for help.',
      'Every contract on the register now has a named owner, and questions to the central team have become earlier and better.',
    ]),
  },
  {
    title: 'Contract review meeting agenda template',
    summary: 'An agenda for a monthly contract review meeting, as a CSV: each item, who leads it, and what to bring.',
    type: 'template', tags: ['template', 'meetings'], networks: ['learners', 'sro'], daysAgo: 28,
    file: csvTemplate('Contract review agenda.csv', [
      'Item,Lead,What to bring,Minutes',
      'Actions from last meeting,Contract manager,Action log,5',
      'Performance against KPIs,Supplier,One page of figures,15',
      'Risks and issues,Both,Risk register,10',
      'Changes and variations,Contract manager,Change log,10',
      'Anything else,Both,,5',
    ]),
  },
  {
    title: 'Contract risk register template',
    summary: 'A simple risk register for one contract, as a CSV: the risk, likelihood, impact, owner and the action agreed.',
    type: 'template', tags: ['template', 'risk'], networks: ['learners'], daysAgo: 48,
    file: csvTemplate('Contract risk register.csv', [
      'Risk,Likelihood (1-5),Impact (1-5),Owner,Action,Review date',
      'Supplier loses key staff,3,4,Supplier account manager,Named deputy for each key role,2026-12-01',
      'Costs rise faster than the indexation clause,4,3,Contract manager,Open-book review at the annual price review,2027-01-15',
    ]),
  },
  {
    title: 'Exit plan checklist',
    summary: 'What a contract’s exit plan should cover, as a CSV checklist: assets, data, people, knowledge, licences and the timetable.',
    type: 'template', tags: ['template', 'exit'], networks: ['sro'], daysAgo: 18,
    file: csvTemplate('Exit plan checklist.csv', [
      'Area,Question,Done',
      'Assets,Is there an up-to-date list of assets and who owns them?,',
      'Data,Is it agreed what data comes back, in what format and when?,',
      'People,Is staff transfer information due in time?,',
      'Knowledge,Is there a plan for handing over how the service works?,',
      'Licences,Which licences and leases novate and which end?,',
    ]),
  },
];

export const demoResources: DemoResource[] = [...featured, ...guidance, ...stories];
