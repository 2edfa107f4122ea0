/** What one broken file keeps from being changed or deleted: resource keys, or live chains nobody else accounts for. */
export interface HeldBack {
  readonly file: string;
  readonly reason: 'last-good' | 'unattributed';
  readonly resources: readonly string[];
}
