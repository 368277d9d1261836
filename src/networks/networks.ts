/** The programme's two networks (issue 11): their keys in URLs and the database, names and who belongs. */
export const networkKeys = ['learners', 'sro'] as const;
export type NetworkKey = (typeof networkKeys)[number];

export const networkNames: Record<NetworkKey, string> = {
  learners: 'Learners Network',
  sro: 'SRO Network',
};

export const networkDescriptions: Record<NetworkKey, string> = {
  learners: 'Learners at councils active in the programme, sharing good practice in contract management.',
  sro: 'Senior responsible owners of councils active in the programme, sharing evidence-led improvement.',
};

export const memberRoles = ['member', 'facilitator'] as const;
export type MemberRole = (typeof memberRoles)[number];
export const memberRoleLabels: Record<MemberRole, string> = { member: 'Member', facilitator: 'Facilitator' };

export const isNetworkKey = (value: string): value is NetworkKey => (networkKeys as readonly string[]).includes(value);
