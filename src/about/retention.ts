import type { Config } from '../config.ts';
import { withUnit, type RetentionPeriods } from '../settings/service.ts';

export type RetentionPeriod = { what: string; howLong: string };

/** "1 hour", "8 hours". */
const hours = (n: number) => withUnit(n, 'hours');

/** What Pioneer keeps for the programme's own purposes, with no period of its own. */
const forTheProgramme = 'Kept while the programme runs and for its evaluation.';

/**
 * How long each kind of personal data is kept, as the privacy notice shows it: the retention periods from settings
 * (src/privacy/retention.ts applies them daily) and the lifetimes of sessions and links from the configuration.
 */
export function retentionPeriods(config: Config, periods: RetentionPeriods): RetentionPeriod[] {
  const deactivated = withUnit(periods.deactivatedRetentionMonths, 'months');
  return [
    {
      what: 'Your account: name, work email address, organisation, job title and roles',
      howLong: `${forTheProgramme} If your account is deactivated for ${deactivated}, your name, email address, job title and what you wrote are removed, as an erasure does; the programme’s figures are kept without your name.`,
    },
    {
      what: 'An invitation you have not accepted',
      howLong: `If you have not accepted it ${withUnit(periods.invitationRetentionDays, 'days')} after it was sent, and nothing else is held about you, your details are removed. If you were nominated for training, your learning journey is kept and only the invitation link is deleted.`,
    },
    {
      what: 'Your learning journey, accreditations and CPD log',
      howLong: `${forTheProgramme} They are needed to check renewals and annual CPD reviews.`,
    },
    {
      what: 'The audit log, including sign-ins',
      howLong: `${forTheProgramme} Entries cannot be changed or deleted from the service, but the IP address each came from is removed after ${withUnit(periods.auditIpRetentionMonths, 'months')}.`,
    },
    { what: 'Emails Pioneer has sent you', howLong: forTheProgramme },
    {
      what: 'Uploaded spreadsheets of nominations and results',
      howLong:
        'The file is deleted once it has been checked. If it was refused, its rows are kept so the person who uploaded it can download the error report.',
    },
    {
      what: 'Your signed-in session',
      howLong: `Ends when you sign out or after ${hours(config.sessionTtlHours)}. An ended session is deleted when you sign out, or within a day.`,
    },
    {
      what: 'Password reset and email change links',
      howLong: `A reset link works for ${hours(config.resetTtlHours)} and an invitation link for ${hours(config.inviteTtlHours)}, once each. Used and expired links are deleted within a day.`,
    },
  ];
}
