import type { ExportColumn } from '../web/export.ts';
import { statusLabels } from './rules.ts';
import type { CouncilListRow } from './service.ts';

/** The columns of a council download (page or CLI); the SRO's name only for people who may see personal data. */
export function councilExportColumns(personalData: boolean): ExportColumn<CouncilListRow>[] {
  const columns: ExportColumn<CouncilListRow>[] = [
    { header: 'Council', value: (r) => r.name },
    { header: 'GSS code', value: (r) => r.gssCode },
    { header: 'Register code', value: (r) => r.code },
    { header: 'Type', value: (r) => r.typeName },
    { header: 'Region', value: (r) => r.region },
    { header: 'Programme status', value: (r) => statusLabels[r.programmeStatus] },
    { header: 'Managing partner', value: (r) => r.managingPartnerName },
    { header: 'Onboarding date', date: 'date', value: (r) => r.onboardingDate },
  ];
  return personalData ? [...columns, { header: 'SRO', value: (r) => r.sroName }] : columns;
}
