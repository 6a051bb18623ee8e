/** The message of the InvalidHostResponse error a host-answer validator throws; fails the test if it accepts. */
import { expect } from 'vitest';
import { ExtensionError } from '../../extension/lib/extension-errors';

export function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ExtensionError);
    expect((error as ExtensionError).errorName).toBe('InvalidHostResponse');
    return (error as Error).message;
  }
  throw new Error('expected the validator to refuse');
}
