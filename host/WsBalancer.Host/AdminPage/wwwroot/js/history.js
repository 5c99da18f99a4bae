// The last 15 minutes of overview samples, kept in the page (nothing is stored server-side), and the rates between them.

export const WINDOW_MS = 15 * 60 * 1000;
const MIN_SPAN_MS = 60 * 1000;

export class StatsHistory {
  constructor() {
    this.samples = [];
    this.previous = null;
  }

  /** Adds a /stats reading; message rates come from the difference to the previous reading (counters only grow). */
  add(stats, at = Date.now()) {
    // The first reading has nothing to compare with: its rate is unknown (null), not zero.
    let received = null;
    let sent = null;
    if (this.previous) {
      const seconds = (at - this.previous.at) / 1000;
      if (seconds > 0) {
        // A session ending between two reads can make a total dip for one read: never show a negative rate.
        received = Math.max(0, (stats.messagesReceived - this.previous.stats.messagesReceived) / seconds);
        sent = Math.max(0, (stats.messagesSent - this.previous.stats.messagesSent) / seconds);
      }
    }
    this.previous = { at, stats };
    const sample = { t: at, sessions: stats.sessions, received, sent };
    this.samples.push(sample);
    while (this.samples.length > 0 && this.samples[0].t < at - WINDOW_MS) this.samples.shift();
    return sample;
  }

  /** The span the charts show: what the page has seen, at least a minute, at most the 15 minutes it keeps. */
  span(now = Date.now()) {
    const first = this.samples[0]?.t ?? now;
    return Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - first));
  }

  latest() {
    return this.samples.at(-1) ?? null;
  }
}
