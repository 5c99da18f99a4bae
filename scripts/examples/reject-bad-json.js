// reject-bad-json.js: a client text message that is not valid JSON never reaches the backend; the client is told why.
//
//   {"op":"subscribe"}    ->  forwarded unchanged
//   {"op":"subscribe"     ->  dropped; the client gets {"error":"malformed JSON","detail":"<parser message>"}
//
// Only sessions whose request path matches @match run it (globs: `*` within one segment, `**` across segments;
// `/api/**` does not match `/api` itself, hence the second line). Binary messages and backend → client traffic
// pass unchanged. To adapt: change the paths, the reply's shape, or also reject valid JSON that is not an object.
// @match /api
// @match /api/**

const MAX_DETAIL_CHARS = 200; // the parser's message can quote the input: keep replies short

function beforeTransmit(message, session) {
  if (message.type !== 'text') return undefined;
  try {
    JSON.parse(message.text);
    return undefined;
  } catch (error) {
    const detail = String(error && error.message ? error.message : error).slice(0, MAX_DETAIL_CHARS);
    session.reply(JSON.stringify({ error: 'malformed JSON', detail: detail }));
    return null;
  }
}
