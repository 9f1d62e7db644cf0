// Hourglass page: the audit view. The hours of a range: those still on this
// host's disk and not all uploaded (/archive/local: open, pending upload,
// failed) and the archived ones (/archive/hours); and a capped search
// (/archive/search: a pattern over the archive and the local files, at most
// PAGE lines an answer, "more" asks for the next page).
"use strict";
HG.audit = {};
(function (A) {
  const PAGE = 200;
  let next = null;  // the parameters of the next page, or null

  // A line's fields: audit.format "json" (one object a line), else a raw
  // frame, RFC 5424 ("<PRI>1 TIME HOST APP PROCID MSGID SD MSG") or RFC 3164
  // ("<PRI>Mmm dd hh:mm:ss HOST APP[PID]: MSG"); else the whole line.
  A.fields = function (line) {
    if (line.startsWith("{")) {
      try {
        const o = JSON.parse(line);
        return { time: o.timestamp || o.received || "", host: o.host || o.peer || "",
                 app: o.app || "", severity: o.severity || "", message: o.message || "" };
      } catch (e) { /* not JSON after all: shown raw */ }
    }
    let m = line.match(/^(?:<\d+>)?1 (\S+) (\S+) (\S+) \S+ \S+ (?:-|\[.*?\]) ?(.*)$/);
    if (m) return { time: m[1], host: m[2], app: m[3], severity: "", message: m[4] };
    m = line.match(/^(?:<\d+>)?(\w{3} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^:\[\s]+)(?:\[\d+\])?: ?(.*)$/);
    if (m) return { time: m[1], host: m[2], app: m[3], severity: "", message: m[4] };
    m = line.match(/^(\S+T\S+) (\S+) (\S+?)(?:\[\d+\])?: ?(.*)$/);  // rsyslog's file format
    if (m) return { time: m[1], host: m[2], app: m[3], severity: "", message: m[4] };
    return { time: "", host: "", app: "", severity: "", message: line };
  };

  function lineRow(line) {
    const f = A.fields(line);
    return HG.el("tr", { title: line }, HG.el("td", {}, f.time), HG.el("td", {}, f.host),
                 HG.el("td", {}, f.app), HG.el("td", {}, f.severity), HG.el("td", {}, f.message));
  }

  function hourRow(hour, cells, state, label, title) {
    const tr = HG.el("tr", { "data-hour": hour, "data-state": state, title },
      ...cells.map((c, i) => HG.el("td", i >= 2 && i <= 5 ? { class: "num" } : {}, c)),
      HG.el("td", {}, label));
    tr.addEventListener("click", () => openHour(hour));
    return tr;
  }

  function localState(r) {
    if (r.state === "open" || r.sealed === r.uploaded) return r.state;
    return r.state + (r.attempts ? ", " + r.attempts + " attempts" : "");
  }

  async function hours(from, until) {
    // The local hours show even when the archive cannot be listed (its error does).
    const [local, archived] = await Promise.all([HG.json("/archive/local", { from, until }),
      HG.json("/archive/hours", { from, until }).catch(e => { HG.showError(e.message); return []; })]);
    const body = document.querySelector("#hours-table tbody");
    const rows = local.filter(r => r.state !== "uploaded").map(r => hourRow(r.hour,
      [r.hour, "this host", r.segment, r.sealed ? r.uploaded + " of " + r.sealed + " uploaded" : "-",
       r.lines === null ? "-" : r.lines, HG.bytes(r.size)], r.state, localState(r), r.file));
    archived.forEach(r => rows.push(hourRow(r.hour, [r.hour, r.host, r.segment, r.parts || "whole",
      r.lines, HG.bytes(r.size)], "archived", "archived", r.key)));
    body.replaceChildren(...rows);
    if (rows.length === 0) {
      body.append(HG.el("tr", {}, HG.el("td", { colspan: 7 }, "no audit hours in this range")));
    }
  }

  // "2026-11-21T05" (as /archive/hours names it): that hour's lines.
  function openHour(hour) {
    const start = Date.parse(hour + ":00:00Z") / 1000;
    const state = new URLSearchParams({ view: "audit", from: String(start), until: String(start + 3600),
                                        pattern: document.getElementById("audit-pattern").value });
    HG.setState(state, false);
    A.show(state);
  }

  async function search(params, append) {
    const body = document.querySelector("#lines-table tbody");
    const more = document.getElementById("audit-more");
    const answer = await HG.json("/archive/search", params);
    if (answer.archive_error) HG.showError("archive not searched (local files only): " + answer.archive_error);
    if (!append) body.replaceChildren();
    answer.lines.forEach(line => body.append(lineRow(line)));
    document.getElementById("lines-title").textContent = "Lines (" + body.children.length +
      (answer.more ? ", more" : "") + ")";
    next = answer.more ? Object.assign({}, params, { after: answer.next }) : null;
    more.hidden = !next;
  }

  A.init = function () {
    document.getElementById("audit-form").addEventListener("submit", ev => {
      ev.preventDefault();
      const state = new URLSearchParams({
        view: "audit",
        from: document.getElementById("audit-from").value.trim(),
        until: document.getElementById("audit-until").value.trim(),
        pattern: document.getElementById("audit-pattern").value,
      });
      HG.setState(state, false);
      A.show(state);
    });
    document.getElementById("audit-more").addEventListener("click", ev => {
      ev.preventDefault();
      if (next) search(next, true).catch(e => HG.showError(e.message));
    });
  };

  A.show = async function (state) {
    const from = state.get("from") || "-24h", until = state.get("until") || "now";
    const pattern = state.get("pattern") || "";
    document.getElementById("audit-from").value = from;
    document.getElementById("audit-until").value = until;
    document.getElementById("audit-pattern").value = pattern;
    HG.showError("");
    try {
      await hours(from, until);
      await search({ from, until, grep: pattern, limit: PAGE }, false);
    } catch (e) {
      HG.showError(e.message);
    }
  };
})(HG.audit);
