/** One line of `doctor`'s report; every check module returns these. */
export type CheckStatus = 'ok' | 'info' | 'warn' | 'error';

export interface Check {
  id: string;
  status: CheckStatus;
  message: string;
  /** What to do, when something is wrong. */
  fix?: string;
}
