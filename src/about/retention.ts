import type { Config } from '../config.ts';

export type RetentionPeriod = { what: string; howLong: string };

/** "1 hour", "8 hours". */
const hours = (n: number) => `${n} ${n === 1 ? 'hour' : 'hours'}`;

/** What Pioneer keeps for the programme's own purposes until retention periods are set (see the privacy notice). */
const forTheProgramme = 'Kept while the programme runs and for its evaluation.';

/**
 * How long each kind of personal data is kept, as the privacy notice shows it. Pioneer deletes nothing on a
 * schedule yet, so most rows say so; when retention periods become settings, their rows read from them here.
 */
export function retentionPeriods(config: Config): RetentionPeriod[] {
  return [
    {
      what: 'Your account: name, work email address, organisation, job title and roles',
      howLong: `${forTheProgramme} Deactivating an account stops it being used; it does not delete it.`,
    },
    {
      what: 'Your learning journey, accreditations and CPD log',
      howLong: `${forTheProgramme} They are needed to check renewals and annual CPD reviews.`,
    },
    {
      what: 'The audit log, including sign-ins and the IP addresses they came from',
      howLong: `${forTheProgramme} Entries cannot be changed or deleted from the service.`,
    },
    { what: 'Emails Pioneer has sent you', howLong: forTheProgramme },
    {
      what: 'Uploaded spreadsheets of nominations and results',
      howLong:
        'The file is deleted once it has been checked. If it was refused, its rows are kept so the person who uploaded it can download the error report.',
    },
    {
      what: 'Your signed-in session',
      howLong: `Ends when you sign out or after ${hours(config.sessionTtlHours)}. An ended session is deleted when you sign out, or the next time you sign in.`,
    },
    {
      what: 'Invitation and password reset links',
      howLong: `An invitation link works for ${hours(config.inviteTtlHours)} and a reset link for ${hours(config.resetTtlHours)}, once each. A record that the link was sent is kept.`,
    },
  ];
}
