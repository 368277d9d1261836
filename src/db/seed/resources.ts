import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type Db } from '../client.ts';
import type { Clock } from '../../clock.ts';
import { newStorageKey, type FileStorage } from '../../networks/storage.ts';
import { simplePdf } from './simple-pdf.ts';
import { demoAccounts, prng } from './demo.ts';

type DemoResource = {
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
const demoResources: DemoResource[] = [
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

/**
 * Adds the demo resource library, with a few downloads each by members of its networks. Files are written to the
 * storage when one is given (the server, the CLI); without one (the tests' shared snapshot, which no storage folder
 * goes with) only the link resources are added.
 */
export async function seedDemoResources(db: Db, clock: Clock, storage: FileStorage | null, seed: number) {
  const rand = prng(seed);
  const [admin] = await queryRows<{ id: string; councilId: string | null }>(
    db,
    sql`select a.id, (select organisation_id from people where email = ${demoAccounts.sro.email}) as "councilId" from people a where a.email = ${demoAccounts.admin.email}`,
  );
  const members = {
    learners: (await queryRows<{ id: string }>(db, sql`select id from people where 'learner' = any(roles) and status = 'active' order by email limit 40`)).map((r) => r.id),
    sro: (await queryRows<{ id: string }>(db, sql`select id from people where 'council_sro' = any(roles) and status = 'active' order by email limit 40`)).map((r) => r.id),
  };
  const now = clock.now().getTime();
  const day = 24 * 3600 * 1000;
  for (const r of demoResources) {
    if ('file' in r && !storage) continue;
    const createdAt = new Date(now - r.daysAgo * day);
    const file = 'file' in r ? { key: newStorageKey(), bytes: r.file.bytes() } : null;
    if (file) await storage!.put(file.key, Readable.from([file.bytes]));
    const pool = [...new Set(r.networks.flatMap((n) => members[n]))];
    const downloaders = rand.shuffle(pool).slice(0, rand.int(0, 8));
    await db.transaction(async (tx) => {
      const [{ id }] = await queryRows<{ id: string }>(
        tx,
        sql`insert into network_resources (title, summary, type, tags, council_id, networks, storage_key, file_name, content_type, size_bytes, sha256, link_url,
            created_by_id, created_at, updated_at, download_count)
          values (${r.title}, ${r.summary}, ${r.type}, ${pgArray(r.tags)}::text[], ${r.demoCouncil ? admin.councilId : null}, ${pgArray(r.networks)}::text[],
            ${file?.key ?? null}, ${'file' in r ? r.file.name : null}, ${'file' in r ? r.file.contentType : null}, ${file?.bytes.length ?? null},
            ${file ? crypto.createHash('sha256').update(file.bytes).digest('hex') : null}, ${'link' in r ? r.link : null},
            ${admin.id}, ${createdAt}, ${createdAt}, ${downloaders.length})
          returning id`,
      );
      if (downloaders.length) {
        const at = downloaders.map((_, i) => new Date(createdAt.getTime() + ((i + 1) * (now - createdAt.getTime())) / (downloaders.length + 1)).toISOString());
        await tx.execute(sql`insert into network_resource_downloads (resource_id, person_id, downloaded_at)
          select ${id}::uuid, * from unnest(${pgArray(downloaders)}::uuid[], ${pgArray(at)}::timestamptz[])`);
      }
    });
  }
}
