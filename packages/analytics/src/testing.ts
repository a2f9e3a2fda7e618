/**
 * Fifteen customers' repeat purchases as (x, t_x, T in days, how many customers), whose repeat
 * buyers drop out at much the same rate: the BG/NBD likelihood has no interior maximum here and
 * keeps rising as a, b → ∞ with a/(a+b) ≈ 0.394 fixed, towards the model in which every customer
 * has the same dropout probability p. A clv run on data like this once left every customer
 * unscored: the fit stopped at a ≈ 1.6e6, b ≈ 2.4e6, where no G(t) could be computed.
 */
export const COMMON_DROPOUT_HISTORIES: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 17, 2],
  [0, 0, 41, 1],
  [0, 0, 54, 1],
  [0, 0, 166, 1],
  [0, 0, 174, 1],
  [1, 1, 161, 1],
  [1, 18, 67, 1],
  [1, 22, 168, 1],
  [1, 34, 116, 1],
  [2, 15, 21, 1],
  [2, 64, 170, 1],
  [2, 73, 119, 1],
  [2, 148, 181, 1],
  [3, 117, 135, 1],
];
