const UNIT_MIB: Readonly<Record<string, number>> = { k: 1 / 1024, m: 1, g: 1024 };

/**
 * Parses a Docker-style memory size into MiB: a number is MiB; a string is `<n>[k|m|g][b|ib]`
 * ("512m", "1g", "1.5G", "2048MiB"); a bare numeric string is MiB too.
 * Returns undefined when the value cannot be understood.
 */
export function parseMemoryMiB(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg])?(?:i?b)?\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = (match[2] ?? 'm').toLowerCase();
  return Number(match[1]) * UNIT_MIB[unit];
}
