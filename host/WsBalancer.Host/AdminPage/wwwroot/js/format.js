// Small formatters shared by the views.

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

export const formatInteger = (value) => (value === null || value === undefined ? '–' : integer.format(value));
export const formatDecimal = (value) => (value === null || value === undefined ? '–' : decimal.format(value));

/** "3 h 12 min", "45 s": how long ago an ISO timestamp was. */
export function age(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export const clock = (date = new Date()) => date.toLocaleTimeString('en-GB', { hour12: false });
