// ocpp-validate.js: lets only well-formed OCPP-J 1.6 frames through, in both directions.
//
//   CALL        [2, uniqueId, action, payload]                                  uniqueId: string of 1-36 chars
//   CALLRESULT  [3, uniqueId, payload]                                          payload, errorDetails: objects
//   CALLERROR   [4, uniqueId, errorCode, errorDescription, errorDetails]        action, code, description: strings
//
// A malformed CALL whose uniqueId is readable is answered to its sender with a CALLERROR and dropped:
// ProtocolError when elements are missing (the frame is incomplete), FormationViolation when one has the wrong
// type or there are too many. Any other malformed frame (not JSON, binary, unknown type, unreadable id, a bad
// CALLRESULT or CALLERROR, which may not be answered) is dropped with a console.warn naming sizes, never content.
// Payloads are not checked against the action's schema. To adapt: change @match, or delete afterReceive to
// trust the central system.
// @match /ocpp/**

const MAX_ID_CHARS = 36;
const SHAPES = { 2: ['string', 'string', 'object'], 3: ['string', 'object'], 4: ['string', 'string', 'string', 'object'] };

function typeOf(value) {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

// frame: an array with a known MessageTypeId. null when well-formed, else { code, description }.
function check(frame) {
  const shape = SHAPES[frame[0]];
  if (frame.length < shape.length + 1) return { code: 'ProtocolError', description: `frame has ${frame.length} elements, expected ${shape.length + 1}` };
  if (frame.length > shape.length + 1) return { code: 'FormationViolation', description: `frame has ${frame.length} elements, expected ${shape.length + 1}` };
  for (let i = 0; i < shape.length; i++) {
    if (typeOf(frame[i + 1]) !== shape[i]) return { code: 'FormationViolation', description: `element ${i + 1} is ${typeOf(frame[i + 1])}, expected ${shape[i]}` };
  }
  if (frame[1].length === 0 || frame[1].length > MAX_ID_CHARS) return { code: 'FormationViolation', description: `uniqueId has ${frame[1].length} characters, expected 1 to ${MAX_ID_CHARS}` };
  return null;
}

// answer: how to reach the frame's sender (session.reply for the charger, session.send for the central system).
function validate(message, session, from, answer) {
  let frame;
  try {
    frame = message.type === 'text' ? JSON.parse(message.text) : undefined;
  } catch {
    // not JSON: falls through to the warning below
  }
  const problem = !Array.isArray(frame) ? { description: 'not a JSON array' }
    : typeof frame[0] !== 'number' || !SHAPES[frame[0]] ? { description: 'unknown MessageTypeId' } : check(frame);
  if (problem === null) return undefined;
  if (problem.code && frame[0] === 2 && typeof frame[1] === 'string' && frame[1].length > 0) {
    answer(JSON.stringify([4, frame[1], problem.code, problem.description, {}]));
  } else {
    console.warn(`session ${session.id}: dropped a malformed ${message.type} frame of ${message.size} bytes from the ${from}: ${problem.description}`);
  }
  return null;
}

function beforeTransmit(message, session) {
  return validate(message, session, 'charger', (reply) => session.reply(reply));
}

function afterReceive(message, session) {
  return validate(message, session, 'central system', (reply) => session.send(reply));
}
