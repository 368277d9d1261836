import { can, type Actor } from '../auth/policy.ts';
import { paths } from './paths.ts';

/**
 * The pages that run the service rather than the programme. When a person may open more than one of them they sit
 * under one "Admin" item leading to an index page, so the service navigation fits one line for every role; with
 * only one (a council's SRO and their uploads) it is linked directly.
 */
export function adminPagesFor(actor: Actor | null) {
  const pages: { href: string; text: string; description: string; section: string }[] = [];
  if (can(actor, 'import:nominations')) {
    pages.push({ href: paths.importNominations(), text: 'Uploads', section: '/imports', description: 'Upload a spreadsheet of nominations or assessment results.' });
  }
  if (can(actor, 'audit:list')) {
    pages.push({ href: paths.audit(), text: 'Audit log', section: paths.audit(), description: 'Every change made in Pioneer: who made it, what they did and when.' });
  }
  if (can(actor, 'settings:manage')) {
    pages.push({ href: paths.settings(), text: 'Settings', section: paths.settings(), description: 'Programme rules that are not published, such as periods and reminder intervals.' });
  }
  if (can(actor, 'retention:manage')) {
    pages.push({ href: paths.adminRetention(), text: 'Data retention', section: paths.adminRetention(), description: 'How long personal data is kept, and what the next daily run will remove.' });
  }
  if (can(actor, 'engagement:manage')) {
    pages.push({ href: paths.engagements(), text: 'Engagements', section: paths.engagements(), description: 'Transformation engagements with councils: time against the plan, milestones and action plans.' });
  }
  if (can(actor, 'engagement:manage') && can(actor, 'improvement:verify')) {
    pages.push({ href: paths.improvements(), text: 'Improvements', section: paths.improvements(), description: 'The improvements register: what councils improved, its value, and verifying or querying it.' });
  }
  if (can(actor, 'survey:manage')) {
    pages.push({ href: paths.surveys(), text: 'Surveys', section: paths.surveys(), description: 'Surveys after events and accreditation: writing them, sending single-use links, reminders and results.' });
  }
  if (can(actor, 'network:manage-members')) {
    pages.push({ href: paths.networks(), text: 'Networks', section: paths.networks(), description: 'The Learners Network and the SRO Network: who belongs, and the people added by hand.' });
  }
  if (can(actor, 'fund:aggregate')) {
    pages.push({ href: paths.funding(), text: 'Funding', section: paths.funding(), description: 'The programme’s funds: budget lines, commitments, spend and the forecast to each fund’s end.' });
  }
  if (can(actor, 'report:generate')) {
    pages.push({ href: paths.reports(), text: 'Reports', section: paths.reports(), description: 'Quarterly reports to funders: generating and archiving them, the archive, and the return on investment.' });
  }
  return pages;
}

const within = (currentPath: string, base: string) => currentPath === base || currentPath.startsWith(`${base}/`);

/** The service navigation for a person: only what their roles can open (the routes check again). */
export function navigationFor(actor: Actor | null, currentPath: string) {
  if (!actor) return [];
  // `sections`: the path prefixes the item stands for, when they are not only the item's own page.
  const items: { href: string; text: string; sections?: string[] }[] = [];
  if (can(actor, 'council:list')) items.push({ href: paths.councils(), text: 'Councils' });
  if (can(actor, 'person:list')) items.push({ href: paths.people(), text: 'People' });
  if (can(actor, 'enrolment:list')) items.push({ href: paths.learners(), text: 'Learners' });
  if (can(actor, 'place:list')) items.push({ href: paths.places(), text: 'Funded places' });
  if (can(actor, 'cohort:list')) items.push({ href: paths.cohorts(), text: 'Cohorts' });
  // Specialists' own work; the programme team reaches engagements from Admin, councils' staff from their council's page.
  if (can(actor, 'engagement:log-time')) items.push({ href: paths.engagements(), text: 'Engagements' });
  // Specialists verify their councils' improvements; councils' staff reach theirs from their council's page.
  if (can(actor, 'engagement:log-time') && can(actor, 'improvement:verify')) items.push({ href: paths.improvements(), text: 'Improvements' });
  if (can(actor, 'journey:own')) items.push({ href: paths.myJourney(), text: 'Your learning' });
  // The programme's maturity figures are reached from the dashboard, and keep its item current.
  // Programme staff, whose line is full, reach the evaluation page from the dashboard too; funders have its own item.
  const ownEvaluationItem = can(actor, 'evaluation:read') && !can(actor, 'council:view');
  // Partner staff reach the reports from the dashboard too (admins from Admin, funders from their own item).
  const reportsFromDashboard = can(actor, 'report:read') && can(actor, 'council:view') && !can(actor, 'report:generate');
  if (can(actor, 'dashboard:aggregate'))
    items.push({
      href: paths.dashboard(),
      text: 'Dashboard',
      sections: [paths.dashboard(), paths.maturityProgramme(), ...(ownEvaluationItem ? [] : [paths.evaluation()]), ...(reportsFromDashboard ? [paths.reports()] : [])],
    });
  if (ownEvaluationItem) items.push({ href: paths.evaluation(), text: 'Evaluation' });
  // Funders read the quarterly reports from their own item; partner staff from the dashboard, admins from Admin.
  if (can(actor, 'report:read') && !can(actor, 'council:view')) items.push({ href: paths.reports(), text: 'Reports' });
  // Those whose records make them network members (learners, SROs, leads by setting); the programme team, whose line
  // is full, reach the networks from Admin. The roles only decide the link: /networks lists what the records allow.
  if (actor.roles.some((r) => r === 'learner' || r === 'council_sro' || r === 'council_lead')) items.push({ href: paths.networks(), text: 'Networks' });
  const admin = adminPagesFor(actor);
  if (admin.length > 1) items.push({ href: paths.admin(), text: 'Admin', sections: [paths.admin(), ...admin.map((p) => p.section)] });
  else if (admin.length === 1) items.push({ href: admin[0].href, text: admin[0].text, sections: [admin[0].section] });
  items.push({ href: paths.account(), text: 'Your account' });
  return items.map(({ sections, ...i }) => ({ ...i, active: (sections ?? [i.href]).some((base) => within(currentPath, base)) }));
}
