import type { ExportColumn } from '../web/export.ts';
import { levelLabels, type Level } from '../enrolments/journey.ts';
import type { PlaceRow } from './service.ts';

/** The columns of a funded places download. */
export const placeExportColumns: ExportColumn<PlaceRow>[] = [
  { header: 'Council', value: (r) => r.councilName },
  { header: 'GSS code', value: (r) => r.gssCode },
  { header: 'Region', value: (r) => r.region },
  { header: 'Level', value: (r) => levelLabels[r.level as Level] ?? r.level },
  { header: 'Period', value: (r) => r.period },
  { header: 'Allocated', value: (r) => r.places },
  { header: 'Taken', value: (r) => r.taken },
  { header: 'Released', value: (r) => r.released },
  { header: 'Remaining', value: (r) => r.remaining },
];
