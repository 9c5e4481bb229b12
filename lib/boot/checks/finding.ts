/** One thing the rehearsal found wrong: which node, which boot step or check, and what. */
export interface Finding {
  readonly node?: string;
  readonly role?: string;
  /** The boot step (as the boot log names it) or the check that failed. */
  readonly step: string;
  readonly check: string;
  readonly message: string;
}
