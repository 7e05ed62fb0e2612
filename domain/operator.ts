/** Operators: support engineers reading every link's story (`read`) and acting on links (`act`). */
export const OPERATOR_ROLES = ['read', 'act'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** One configured operator token, by the name the audit log shows. */
export interface OperatorToken {
  name: string;
  token: string;
  role: OperatorRole;
}

/** Who is signed in (or calling with a token): never the token itself. */
export interface Operator {
  name: string;
  role: OperatorRole;
}

export const mayAct = (operator: Operator) => operator.role === 'act';
