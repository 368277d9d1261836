/**
 * The maturity frameworks Pioneer ships, as data (docs/maturity.md). Written to the database on every start by
 * `upsertFrameworks` (src/db/prepare.ts), matched by their keys, so a framework, block or area keeps its id for
 * ever (action plans link actions to an area) and a reworded descriptor reaches every database on its next start.
 *
 * The contract-management framework follows the areas and blocks of the National Audit Office's good-practice
 * contract management framework (December 2016). The level descriptors are Pioneer's own, one plain sentence each,
 * from 1 (not yet in place) to 5 (leading practice).
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { pgArray } from '../db/client.ts';

export type FrameworkArea = { key: string; name: string; descriptors: readonly [string, string, string, string, string] };
export type FrameworkBlock = { key: string; name: string; areas: readonly FrameworkArea[] };
export type Framework = { key: string; name: string; description: string; blocks: readonly FrameworkBlock[] };

/** The names of the five levels, as the pages and downloads show them. */
export const levelNames = ['Not yet in place', 'Developing', 'Defined', 'Managed', 'Leading'] as const;
export const levelName = (level: number) => `${level} – ${levelNames[level - 1] ?? ''}`;

export const contractManagementKey = 'contract-management';

export const contractManagementFramework: Framework = {
  key: contractManagementKey,
  name: 'Contract management maturity',
  description:
    'Eleven areas of contract management in four blocks, following the National Audit Office’s good-practice contract management framework, each scored from 1 (not yet in place) to 5 (leading).',
  blocks: [
    {
      key: 'structure-and-resources',
      name: 'Structure and resources',
      areas: [
        {
          key: 'planning-and-governance',
          name: 'Planning and governance',
          descriptors: [
            'Contracts are managed without a plan, and nobody is clearly accountable for them once they are signed.',
            'Some larger contracts have a named owner, but plans and reporting lines are informal and inconsistent.',
            'Key contracts have a contract management plan, a named owner and a route for escalating issues.',
            'Plans are kept up to date, reviewed at set points and reported to a board that acts on what it hears.',
            'Governance is proportionate to each contract’s value and risk, and is reviewed and improved every year.',
          ],
        },
        {
          key: 'people',
          name: 'People',
          descriptors: [
            'Contract management falls to whoever is available, with no training or recognised role.',
            'A few officers manage contracts as part of other jobs and have had some informal training.',
            'Contract managers are named for key contracts and have the time and training the role needs.',
            'Contract managers are accredited, their workload is planned, and their skills are assessed and developed.',
            'The council has a professional contract management community that others learn from, with succession planned.',
          ],
        },
        {
          key: 'administration',
          name: 'Administration',
          descriptors: [
            'There is no reliable record of which contracts the council holds or where their documents are.',
            'A contract register exists but is incomplete, and documents are scattered across teams.',
            'The register is complete for key contracts, and variations and key dates are recorded.',
            'The register is complete and current, with renewal dates, obligations and spend tracked routinely.',
            'Contract information is joined up with finance and performance data and is published where required.',
          ],
        },
      ],
    },
    {
      key: 'delivery',
      name: 'Delivery',
      areas: [
        {
          key: 'managing-relationships',
          name: 'Managing relationships',
          descriptors: [
            'Contact with suppliers happens only when something goes wrong.',
            'There are regular contacts with some suppliers, but they depend on individuals.',
            'Key contracts have agreed meetings, contacts at each level and a way to resolve disputes.',
            'Relationships are managed to a plan, with joint reviews that lead to agreed actions.',
            'Relationships are open and collaborative, and problems are raised and solved early by both sides.',
          ],
        },
        {
          key: 'managing-performance',
          name: 'Managing performance',
          descriptors: [
            'Supplier performance is not measured.',
            'Some performance is measured, but measures are unclear or not linked to what the service needs.',
            'Key contracts have clear KPIs that are reported and reviewed regularly.',
            'Performance data is checked, acted on and used to manage underperformance through the contract.',
            'Performance measures drive continuous improvement and are published and assessed at least once a year.',
          ],
        },
        {
          key: 'payment-and-incentives',
          name: 'Payment and incentives',
          descriptors: [
            'Invoices are paid without checking them against what was delivered.',
            'Some invoices are checked, but payment terms and incentives are not well understood.',
            'Payments are checked against the contract before they are made, and the terms are understood.',
            'Incentives and deductions are applied as the contract intends and open-book checks are made where allowed.',
            'Payment mechanisms reward the outcomes the council wants and are reviewed to keep them working.',
          ],
        },
        {
          key: 'risk',
          name: 'Risk',
          descriptors: [
            'Contract risks are not identified or recorded.',
            'Some risks are known to individuals but not recorded or owned.',
            'Key contracts have a risk register with owners and mitigations.',
            'Risks, including supplier financial health and continuity, are reviewed regularly and escalated when needed.',
            'Risk is managed jointly with suppliers, and exit and contingency plans are tested.',
          ],
        },
      ],
    },
    {
      key: 'development',
      name: 'Development',
      areas: [
        {
          key: 'contract-development',
          name: 'Contract development',
          descriptors: [
            'Changes to contracts are made informally, without records or approval.',
            'Changes are recorded, but without a consistent process or value-for-money check.',
            'There is a change control process with approvals and a record of every variation.',
            'Changes are assessed for value, risk and compliance before they are agreed, and their effect is tracked.',
            'Contracts are reviewed regularly to keep them fit for purpose, and lessons feed into future contracts.',
          ],
        },
        {
          key: 'supplier-development',
          name: 'Supplier development',
          descriptors: [
            'The council does not work with suppliers to improve what they deliver.',
            'Improvements are discussed with suppliers now and then, without follow-through.',
            'Improvement opportunities are agreed with key suppliers and tracked.',
            'Joint improvement plans deliver measurable gains in quality, cost or social value.',
            'Innovation is actively sought from suppliers and the benefits are shared and reported.',
          ],
        },
      ],
    },
    {
      key: 'strategy',
      name: 'Strategy',
      areas: [
        {
          key: 'supplier-relationship-management',
          name: 'Supplier relationship management',
          descriptors: [
            'The council does not know which suppliers matter most to it.',
            'Important suppliers are known informally, but there is no approach to managing them.',
            'Strategic suppliers are identified and have a named senior relationship owner.',
            'Strategic suppliers are managed across all their contracts with the council, with joint objectives.',
            'Strategic relationships are reviewed at senior level and deliver value beyond single contracts.',
          ],
        },
        {
          key: 'market-management',
          name: 'Market management',
          descriptors: [
            'The council does not look at the markets it buys from.',
            'Market knowledge is held by individuals and used only at re-procurement.',
            'Key markets are understood, including their capacity and the risks of supplier failure.',
            'The council engages markets ahead of need and plans re-procurement well before contracts end.',
            'The council shapes its markets, working with others to keep them healthy and competitive.',
          ],
        },
      ],
    },
  ],
};

export const frameworks: readonly Framework[] = [contractManagementFramework];

/** The contract-management framework's areas in order, and their names by key (an engagement's action links one). */
export const contractManagementAreas = contractManagementFramework.blocks.flatMap((b) => b.areas.map((a) => ({ key: a.key, name: a.name })));
export const contractManagementAreaNames: Readonly<Record<string, string>> = Object.fromEntries(contractManagementAreas.map((a) => [a.key, a.name]));

/**
 * Writes the frameworks to the database, matched by key: new ones are added, existing ones renamed and reworded in
 * place (their ids stay), and nothing is removed (submitted assessments point at the areas). Idempotent; every start.
 */
export async function upsertFrameworks(db: DbOrTx, list: readonly Framework[] = frameworks): Promise<void> {
  for (const f of list) {
    await db.execute(sql`insert into maturity_frameworks (key, name, description) values (${f.key}, ${f.name}, ${f.description})
      on conflict (key) do update set name = excluded.name, description = excluded.description
      where (maturity_frameworks.name, maturity_frameworks.description) is distinct from (excluded.name, excluded.description)`);
    const blocks = f.blocks;
    await db.execute(sql`insert into maturity_blocks (framework_id, key, name, position)
      select fw.id, t.key, t.name, t.position from maturity_frameworks fw,
        unnest(${pgArray(blocks.map((b) => b.key))}::text[], ${pgArray(blocks.map((b) => b.name))}::text[], ${pgArray(blocks.map((_, i) => i + 1))}::int[]) as t(key, name, position)
      where fw.key = ${f.key}
      on conflict (framework_id, key) do update set name = excluded.name, position = excluded.position
      where (maturity_blocks.name, maturity_blocks.position) is distinct from (excluded.name, excluded.position)`);
    const areas = blocks.flatMap((b) => b.areas.map((a) => ({ ...a, block: b.key })));
    await db.execute(sql`insert into maturity_areas (framework_id, block_id, key, name, position, descriptors)
      select fw.id, b.id, t.key, t.name, t.position, string_to_array(t.descriptors, E'\n')
      from maturity_frameworks fw
      cross join unnest(${pgArray(areas.map((a) => a.key))}::text[], ${pgArray(areas.map((a) => a.name))}::text[], ${pgArray(areas.map((_, i) => i + 1))}::int[],
        ${pgArray(areas.map((a) => a.block))}::text[], ${pgArray(areas.map((a) => a.descriptors.join('\n')))}::text[]) as t(key, name, position, block, descriptors)
      join maturity_blocks b on b.framework_id = fw.id and b.key = t.block
      where fw.key = ${f.key}
      on conflict (framework_id, key) do update set name = excluded.name, position = excluded.position, block_id = excluded.block_id, descriptors = excluded.descriptors
      where (maturity_areas.name, maturity_areas.position, maturity_areas.block_id, maturity_areas.descriptors)
        is distinct from (excluded.name, excluded.position, excluded.block_id, excluded.descriptors)`);
  }
}
