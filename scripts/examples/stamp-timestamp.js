// stamp-timestamp.js: adds the time the balancer received a client JSON object, as an ISO-8601 UTC field.
//
//   {"op":"order","qty":3}   ->  {"receivedAt":"2025-01-31T09:15:02.417Z","op":"order","qty":3}
//   [1,2,3] / "text" / ping  ->  unchanged (only JSON objects are stamped; anything else passes)
//
// The field is spliced into the original text rather than re-serialized, so numbers beyond 2^53, key order and
// formatting reach the backend exactly as the client sent them. A client-supplied receivedAt is overwritten
// (the stamp must be the balancer's, not the client's claim); that rare case is re-serialized.
// To adapt: rename FIELD, add `// @match /orders/**`, or stamp backend → client messages in afterReceive.

const FIELD = 'receivedAt';

function beforeTransmit(message, session) {
  if (message.type !== 'text') return undefined;
  const text = message.text;
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return undefined; // cheap: not an object, no parse
  let object;
  try {
    object = JSON.parse(text);
  } catch {
    return undefined; // not JSON after all: not ours to judge (see reject-bad-json.js)
  }

  const stamp = new Date().toISOString();
  if (Object.prototype.hasOwnProperty.call(object, FIELD)) {
    object[FIELD] = stamp;
    return JSON.stringify(object);
  }

  const empty = Object.keys(object).length === 0;
  const field = JSON.stringify(FIELD) + ':' + JSON.stringify(stamp) + (empty ? '' : ',');
  return text.slice(0, start + 1) + field + text.slice(start + 1);
}
