// redact-secrets.js: masks bearer tokens and payment card numbers in text messages, both directions.
//
//   "Authorization: Bearer eyJhbGciOi..."  ->  "Authorization: Bearer [redacted]"
//   "card 4111 1111 1111 1111 exp 12/29"   ->  "card [redacted] exp 12/29"
//
// A card number is 13 to 19 digits, optionally grouped by single spaces or dashes, not touching other digits,
// that passes the Luhn check; digit runs that fail it (order ids, timestamps) are left alone. Binary messages
// pass unchanged. To adapt: add patterns to PATTERNS, change MASK, or add `// @match /some/path/**` to limit it.
//
// A message the script cannot finish (a huge message full of digits breaks the statement limit) is dropped,
// not forwarded unredacted: keep `@on-error drop` for a filter whose job is to stop leaks.
// @on-error drop

const MASK = '[redacted]';

const PATTERNS = [
  // RFC 6750 b64token after the (case-insensitive) scheme; the word "Bearer" is kept for readability.
  { regex: /\b(Bearer\s+)[A-Za-z0-9\-._~+\/]+=*/gi, replace: (match, scheme) => scheme + MASK },
  // Candidates only; luhn() decides.
  { regex: /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g, replace: (match) => (luhn(match.replace(/[ -]/g, '')) ? MASK : match) },
];

function luhn(digits) {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double && (d *= 2) > 9) d -= 9;
    sum += d;
  }
  return sum % 10 === 0;
}

function redact(message) {
  if (message.type !== 'text') return undefined;
  let text = message.text;
  for (const { regex, replace } of PATTERNS) text = text.replace(regex, replace);
  return text === message.text ? undefined : text; // undefined: unchanged, nothing is copied
}

function beforeTransmit(message, session) {
  return redact(message);
}

function afterReceive(message, session) {
  return redact(message);
}
