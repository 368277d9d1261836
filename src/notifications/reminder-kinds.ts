/** The reminders a person may switch off (preferences page, unsubscribe links). Decision emails are not among them. */
export const reminderKinds = ['assessment-due', 'cpd-shortfall', 'foundation-renewal', 'network-digest'] as const;
export type ReminderKind = (typeof reminderKinds)[number];

export const isReminderKind = (value: unknown): value is ReminderKind => reminderKinds.includes(value as ReminderKind);

/** How pages, emails and the audit log name each kind ("… reminders"). */
export const reminderLabels: Record<ReminderKind, string> = {
  'assessment-due': 'Assessment due',
  'cpd-shortfall': 'CPD hours short',
  'foundation-renewal': 'Foundation renewal due',
  'network-digest': 'Network discussions digest',
};

/** What each kind is about, for the preferences page. */
export const reminderHints: Record<ReminderKind, string> = {
  'assessment-due': 'Before your assessment is due, if you have not booked it.',
  'cpd-shortfall': 'Before your CPD year ends, if you have logged fewer hours than it needs (Practitioner and Expert).',
  'foundation-renewal': 'Before your Foundation accreditation needs renewing.',
  'network-digest': 'Once a day, when there are new discussions or replies in the networks you belong to.',
};
