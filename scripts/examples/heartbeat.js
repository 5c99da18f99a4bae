// heartbeat.js: answers client heartbeats at the balancer, so they never reach (or wake) a backend.
//
//   ping                        ->  pong                         (plain text, exact)
//   {"type":"ping"}             ->  {"type":"pong"}
//   {"type":"ping","id":42}     ->  {"type":"pong","id":42}      (an id, when present, is echoed)
//
// The answer goes straight to the client (session.reply) and the ping is dropped (return null). Anything else
// passes unchanged. To adapt: change the words below, or the field names if your protocol says "op" or "event".
// The backend no longer sees heartbeats: if it uses them to tell live clients from dead ones, it must rely on
// WebSocket ping frames or on its own traffic instead, or it will take a quiet client for a dead one.

const PING = 'ping';
const PONG = 'pong';
const MAX_JSON_PING_BYTES = 256; // a heartbeat is small: larger JSON is application data, not worth parsing here

function beforeTransmit(message, session) {
  if (message.type !== 'text') return undefined;
  const text = message.text;
  if (text === PING) {
    session.reply(PONG);
    return null;
  }

  // Cheap checks first: most messages are not heartbeats and must not pay for a JSON.parse.
  if (message.size > MAX_JSON_PING_BYTES || text.indexOf('"' + PING + '"') < 0) return undefined;
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }

  if (frame === null || typeof frame !== 'object' || Array.isArray(frame) || frame.type !== PING) return undefined;
  const pong = { type: PONG };
  if (frame.id !== undefined) pong.id = frame.id;
  session.reply(JSON.stringify(pong));
  return null;
}
