import { z } from 'zod';
import { firstQuarter } from './quarter.ts';

const quarterField = z
  .string()
  .max(20, 'Enter the quarter as a year and quarter number, like 2026-Q3')
  .meta({ pattern: '^[0-9]{4}-Q[1-4]$', description: `A calendar quarter that has ended, ${firstQuarter} or later, like 2026-Q3 (1 July to 30 September 2026). Blank or missing: the last complete quarter.` })
  .optional();

/** Generating a report (the page's form and the API's body): the quarter, or the last complete one. */
export const generateSchema = z.object({ quarter: quarterField });

/** `?quarter=` of the quarterly report page. */
export const quarterQuery = z.object({ quarter: z.string().optional() });

export const apiReportSummarySchema = z.object({
  id: z.string(),
  quarter: z.string(),
  generatedAt: z.string(),
  links: z.object({ self: z.string(), pdf: z.string(), xlsx: z.string() }),
});

const cell = z.union([z.string(), z.number()]);
export const apiReportDataSchema = z.object({
  title: z.string(),
  quarter: z.string(),
  quarterLabel: z.string(),
  quarterStart: z.string(),
  quarterEnd: z.string(),
  madeOn: z.string(),
  madeOnText: z.string(),
  sections: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      paragraphs: z.array(z.string()),
      tables: z.array(
        z.object({
          id: z.string(),
          title: z.string(),
          columns: z.array(z.object({ header: z.string(), kind: z.enum(['text', 'count', 'pence']) })),
          rows: z.array(z.array(cell)),
          note: z.string().optional(),
        }),
      ),
    }),
  ),
});

export const apiReportSchema = apiReportSummarySchema.extend({ data: apiReportDataSchema });
