/** Durations in the words a support engineer reads at a glance: "45 s", "12 min", "3 h", "4 days". */
export function spanText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  const days = Math.round(h / 24);
  return `${days} day${days === 1 ? '' : 's'}`;
}

export const ago = (at: Date, now: Date) => `${spanText(now.getTime() - at.getTime())} ago`;
