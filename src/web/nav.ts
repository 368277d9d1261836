import { can, type Actor } from '../auth/policy.ts';
import { paths } from './paths.ts';

/** The service navigation for a person: only what their roles can open (the routes check again). */
export function navigationFor(actor: Actor | null, currentPath: string) {
  if (!actor) return [];
  // `section`: the path prefix the item stands for, when it is not the item's own page.
  const items: { href: string; text: string; section?: string }[] = [];
  if (can(actor, 'council:list')) items.push({ href: paths.councils(), text: 'Councils' });
  if (can(actor, 'person:list')) items.push({ href: paths.people(), text: 'People' });
  if (can(actor, 'enrolment:list')) items.push({ href: paths.learners(), text: 'Learners' });
  if (can(actor, 'place:list')) items.push({ href: paths.places(), text: 'Funded places' });
  if (can(actor, 'cohort:list')) items.push({ href: paths.cohorts(), text: 'Cohorts' });
  if (can(actor, 'import:nominations')) items.push({ href: paths.importNominations(), text: 'Uploads', section: '/imports' });
  if (can(actor, 'journey:own')) items.push({ href: paths.myJourney(), text: 'Your learning' });
  if (can(actor, 'dashboard:aggregate')) items.push({ href: paths.dashboard(), text: 'Dashboard' });
  if (can(actor, 'audit:list')) items.push({ href: paths.audit(), text: 'Audit log' });
  if (can(actor, 'settings:manage')) items.push({ href: paths.settings(), text: 'Settings' });
  items.push({ href: paths.account(), text: 'Your account' });
  return items.map(({ section, ...i }) => {
    const base = section ?? i.href;
    return { ...i, active: currentPath === base || currentPath.startsWith(`${base}/`) };
  });
}
