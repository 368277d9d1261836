import { z } from 'zod';
import { pageQuery } from '../api/registry.ts';
import { listQuery } from '../web/list-query.ts';
import { councilTypes, englishRegions, programmeStartDate, programmeStatuses, type CouncilType } from './rules.ts';

export const councilSortKeys = ['name', 'type', 'region', 'status', 'onboardingDate'] as const;
const councilTypeCodes = Object.keys(councilTypes) as [CouncilType, ...CouncilType[]];

/** A filter from a GET form: "" (the "Any" option) means no filter, and a hand-edited bad value is ignored. */
const lenient = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional()).catch(undefined);

/** The council list page's query string: search, sort, page and filters. */
export const councilListQuery = listQuery(councilSortKeys, 'name').extend({
  region: lenient(z.string().max(100)),
  type: lenient(z.enum(councilTypeCodes)),
  status: lenient(z.enum(programmeStatuses)),
  managingPartner: lenient(z.string().max(20)),
});

/** The API's list query: the same filters, but a bad value is a 400 rather than ignored. */
export const councilApiListQuery = pageQuery.extend({
  q: z.string().trim().max(200, 'q must be 200 characters or fewer').optional().describe('Part of a name, GSS code or register code'),
  region: z.string().max(100).optional(),
  type: z.enum(councilTypeCodes, { error: `type must be one of ${councilTypeCodes.join(', ')}` }).optional(),
  status: z.enum(programmeStatuses, { error: `status must be one of ${programmeStatuses.join(', ')}` }).optional(),
  managingPartner: z.string().max(20).optional().describe('A partner code (LP, MHCLG) or "none"'),
  sort: z.enum(councilSortKeys).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
});

const longDate = (iso: string) => new Date(`${iso}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/**
 * A date as YYYY-MM-DD. Pages join the GOV.UK date input's parts as "year-month-day" (a part may be empty),
 * so both the page and the API get the same GOV.UK-style messages.
 */
export function dateField(label: string, enterText: string) {
  return z.string({ error: `Enter ${enterText}` }).trim().transform((value, ctx) => {
    const [year = '', month = '', day = ''] = value.split('-');
    const missing = (
      [
        ['day', day],
        ['month', month],
        ['year', year],
      ] as const
    )
      .filter(([, v]) => !v.trim())
      .map(([name]) => name);
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (missing.length === 3) return fail(`Enter ${enterText}`);
    if (missing.length) return fail(`${label} must include a ${missing.join(' and ')}`);
    if (!/^\d{4}$/.test(year.trim()) || !/^\d{1,2}$/.test(month.trim()) || !/^\d{1,2}$/.test(day.trim())) return fail(`${label} must be a real date`);
    const iso = `${year.trim()}-${month.trim().padStart(2, '0')}-${day.trim().padStart(2, '0')}`;
    const parsed = new Date(`${iso}T12:00:00Z`);
    if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso) return fail(`${label} must be a real date`);
    if (iso < programmeStartDate) return fail(`${label} must be the same as or after ${longDate(programmeStartDate)}`);
    return iso;
  }).meta({ format: 'date' }); // what API clients send; the page's unpadded "2026-1-5" is accepted too
}

/** The version the client read: a JSON number (a page's hidden field is turned into one by formWholeNumber). */
const version = z
  .number({ error: 'version must be a whole number' })
  .int('version must be a whole number')
  .min(1, 'version must be 1 or more')
  .describe('The version you read; a stale one is refused with 409');

const reason = z.string().trim().max(2000, 'Reason must be 2000 characters or fewer');

/** Moving a council's programme status (page and API). */
export const statusMoveSchema = z.object({
  status: z.enum(programmeStatuses, { error: 'Select the new status' }),
  reason: reason.optional(),
  onboardingDate: dateField('Onboarding date', 'the onboarding date').nullable().optional(),
  version: version.optional(),
});
export type StatusMoveInput = z.infer<typeof statusMoveSchema>;

/** One email domain, as an admin types it: lower case, no "@", no scheme, at least one dot. */
const emailDomainField = z
  .string({ error: 'Each email domain must be text, like westshire.gov.uk' })
  .trim()
  .toLowerCase()
  .transform((d) => d.replace(/^@/, ''))
  .pipe(
    z
      .string()
      .max(253, 'An email domain must be 253 characters or fewer')
      .regex(/^(?=[^.]{1,63}\.)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'Enter each email domain like westshire.gov.uk, without a name or “@” before it'),
  );

/** The email domains a council's own staff may nominate and invite addresses on (admins; page and API). */
export const emailDomainsField = z
  .array(emailDomainField, { error: 'emailDomains must be a list of domains' })
  .max(20, 'Enter 20 email domains or fewer')
  .transform((list) => [...new Set(list)])
  .describe('Exact domains (a subdomain is listed itself), like westshire.gov.uk; only programme admins may change them');

/** Changing a council's email domains on its page: one domain per line. */
export const emailDomainsEditSchema = z.object({ emailDomains: emailDomainsField, version });

/** Editing a council's participation (page and API). A missing field is left alone; null clears it. */
export const participationEditSchema = z.object({
  onboardingDate: dateField('Onboarding date', 'the onboarding date').nullable().optional(),
  agreementSignedDate: dateField('Agreement signed date', 'the date the agreement was signed').nullable().optional(),
  baselineBookedDate: dateField('Baseline assessment date', 'the baseline assessment date').nullable().optional(),
  sroPersonId: z.uuid('Select the SRO from the list').nullable().optional(),
  leadPersonId: z.uuid('Select the council lead from the list').nullable().optional(),
  emailDomains: emailDomainsField.optional(),
  partnerChangeReason: reason
    .optional()
    .describe('Why the managing partner changes: required (and allowed only to programme admins) when the new onboarding date gives the council another managing partner'),
  version,
});
export type ParticipationEditInput = z.infer<typeof participationEditSchema>;

/** Overriding or transferring the managing partner (admins). */
export const partnerOverrideSchema = z.object({
  partnerCode: z.string({ error: 'Select the managing partner' }).trim().min(1, 'Select the managing partner'),
  reason: reason.min(1, 'Enter the reason for the change'),
  version,
});

/** Adding a council that is not yet in the register, such as a new unitary authority (API only). */
export const councilCreateSchema = z.object({
  gssCode: z
    .string({ error: 'Enter a GSS code' })
    .trim()
    .toUpperCase()
    .regex(/^E(0[6-9]|10)\d{6}$/, 'Enter the GSS code of an English council in the correct format, like E06000001'),
  code: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3,4}$/, 'Enter a register code of 3 or 4 letters, like BIR')
    .optional()
    .describe('The register (local-authority) code; the GSS code is used when none is given'),
  name: z.string({ error: 'Enter the council name' }).trim().min(1, 'Enter the council name').max(200, 'Council name must be 200 characters or fewer'),
  type: z.enum(councilTypeCodes, { error: `Select a council type: ${councilTypeCodes.join(', ')}` }),
  region: z.enum(englishRegions, { error: 'Select an English region' }),
});

/** Assigning a commercial specialist to a council (page). */
export const specialistAssignSchema = z.object({
  personId: z.uuid({ error: 'Select a commercial specialist' }),
});

/** Removing a commercial specialist from a council (page). */
export const specialistRemoveSchema = z.object({
  personId: z.uuid({ error: 'Select the commercial specialist to remove' }),
});

/** Replacing the set of commercial specialists assigned to a council (API). */
export const specialistSetSchema = z.object({
  personIds: z
    .array(z.uuid({ error: 'Each person id must be a UUID' }), { error: 'personIds must be a list of person ids' })
    .max(200, 'personIds must list 200 people or fewer')
    .refine((ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length, 'personIds must not list a person twice')
    .describe('Every commercial specialist who should be assigned; an empty list removes them all'),
});

/** A commercial specialist assigned to a council, as the API answers it. */
export const apiSpecialistSchema = z.object({
  personId: z.uuid(),
  name: z.string(),
  email: z.string(),
});

const isoDate = z.string().meta({ format: 'date', description: 'YYYY-MM-DD' });

/** A council as the API answers it. */
export const apiCouncilSchema = z.object({
  id: z.uuid(),
  gssCode: z.string().nullable(),
  code: z.string(),
  name: z.string(),
  type: z.string().nullable(),
  typeName: z.string().nullable(),
  region: z.string().nullable(),
  programmeStatus: z.enum(programmeStatuses),
  managingPartner: z.object({ id: z.uuid(), code: z.string(), name: z.string() }).nullable(),
  onboardingDate: isoDate.nullable(),
  version: z.number().int(),
});

/** One council in full, for those who may open it. */
export const apiCouncilDetailSchema = apiCouncilSchema.extend({
  managingPartnerReason: z.string().nullable(),
  agreementSignedDate: isoDate.nullable(),
  baselineBookedDate: isoDate.nullable(),
  sroPersonId: z.uuid().nullable(),
  leadPersonId: z.uuid().nullable(),
  emailDomains: z.array(z.string()).describe('The email domains the council’s SRO and lead may nominate addresses on'),
});
