/** The kinds of data a retention run removes (src/privacy/retention.ts), and its counts in words. Pure: the audit log's sentences use it. */

/** The kinds, in the order a run removes them. */
export const retentionKinds = ['sessions', 'links', 'auditIps', 'invitedPeople', 'invitationLinks', 'deactivatedPeople'] as const;
export type RetentionKind = (typeof retentionKinds)[number];
export type RetentionCounts = Record<RetentionKind, number>;

const nouns: Record<RetentionKind, [string, string]> = {
  sessions: ['expired session', 'expired sessions'],
  links: ['spent link', 'spent links'],
  auditIps: ['IP address dropped', 'IP addresses dropped'],
  invitedPeople: ['invited person removed', 'invited people removed'],
  invitationLinks: ['old invitation link', 'old invitation links'],
  deactivatedPeople: ['person anonymised', 'people anonymised'],
};

/** A run's counts in words: "2 expired sessions, 1 person anonymised"; "Nothing was due"; "Not finished" without counts. */
export function countsSummary(counts: unknown): string {
  if (!counts || typeof counts !== 'object') return 'Not finished';
  const c = counts as Partial<Record<RetentionKind, unknown>>;
  const n = (k: RetentionKind) => (typeof c[k] === 'number' ? (c[k] as number) : 0);
  const parts = retentionKinds.filter((k) => n(k) > 0).map((k) => `${n(k)} ${nouns[k][n(k) === 1 ? 0 : 1]}`);
  return parts.length ? parts.join(', ') : 'Nothing was due';
}
