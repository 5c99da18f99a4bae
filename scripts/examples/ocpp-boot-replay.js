// ocpp-boot-replay.js: after a failover, the new central system hears the charger's BootNotification first.
//
// A central system learns who a charger is (model, vendor, firmware) from its BootNotification, sent once per
// connection. When a central system dies, the balancer moves the session to another one, which has never seen
// that boot. This script keeps the charger's last BootNotification CALL in session.state and, onFailover,
// sends it again under a fresh uniqueId ("wsb-boot-<n>"), ahead of anything else.
// That CALL was not the charger's, so the central system's answer to it (a CALLRESULT, or a CALLERROR) is dropped
// in afterReceive: the charger never gets an answer it did not ask for. The charger keeps the heartbeat interval
// of its original boot; if the new central system answers Rejected or Pending, it will only say so by refusing
// later calls. To adapt: replay more (e.g. the last StatusNotification per connector) the same way.
// @match /ocpp/**

const REPLAY_ID_PREFIX = 'wsb-boot-';
const MAX_PENDING = 4; // replays whose answer has not arrived yet; older ones are forgotten

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function beforeTransmit(message, session) {
  if (message.type !== 'text' || message.text.indexOf('"BootNotification"') < 0) return undefined;
  const frame = parse(message.text);
  if (Array.isArray(frame) && frame[0] === 2 && frame[2] === 'BootNotification' && frame[3] !== null && typeof frame[3] === 'object') {
    session.state.boot = frame[3]; // plain data: kept across edits of this script
  }
  return undefined; // the boot itself goes on as usual
}

function onFailover(session) {
  if (!session.state.boot) return undefined;
  const id = REPLAY_ID_PREFIX + session.reconnects; // unique within the session; never one of the charger's
  session.state.pending = (session.state.pending || []).concat(id).slice(-MAX_PENDING);
  return JSON.stringify([2, id, 'BootNotification', session.state.boot]);
}

function afterReceive(message, session) {
  const pending = session.state.pending;
  if (!pending || pending.length === 0 || message.type !== 'text' || message.text.indexOf(REPLAY_ID_PREFIX) < 0) return undefined;
  const frame = parse(message.text);
  const index = Array.isArray(frame) && (frame[0] === 3 || frame[0] === 4) ? pending.indexOf(frame[1]) : -1;
  if (index < 0) return undefined;
  pending.splice(index, 1);
  return null; // the answer to our replay, not to the charger
}
