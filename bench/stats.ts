/** Medians and ratios: on shared, noisy machines only ratios within one run mean anything. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

/**
 * One line per measured series: its median, min/max and run count, and its ratio of medians to the
 * baseline measured in the same run (when given), against the goal (when given).
 */
export function line(label: string, values: number[], baseline?: number[], goal?: number, unit = 'ms'): string {
  const m = median(values);
  const show = (v: number) => (unit === 'ms' ? fmt(v) : `${v.toFixed(1)} ${unit}`);
  const spread = `min ${show(Math.min(...values))}, max ${show(Math.max(...values))}, ${values.length} runs`;
  const ratio = baseline ? `  ratio ${(m / median(baseline)).toFixed(2)}${goal ? ` (goal ≤ ${goal})` : ''}` : '';
  return `  ${label.padEnd(40)} ${show(m).padStart(10)}${ratio}  [${spread}]`;
}
