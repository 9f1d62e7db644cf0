// Hourglass page: the status view. /health as a table, the drop and error
// counters from /metrics, and a few self-metrics (hourglass.* series) charted
// as rates, each counter's exact total (from /metrics) in its chart's title.
"use strict";
HG.status = {};
(function (S) {
  // Counters are written as their increase over each flush (aggregator/flush_loop.cc).
  const CHARTS = [
    ["statsd packets, per flush", "hourglass.statsd.packets_received"],
    ["statsd bad lines, per flush", "hourglass.statsd.bad_lines_seen"],
    ["syslog messages, per flush", "hourglass.syslog.messages_received"],
    ["syslog truncations, per flush", "hourglass.syslog.messages_truncated"],
    ["store points written, per flush", "hourglass.store.points_written"],
    // Gauges /metrics names otherwise (query/status_pages.cc: kExposedAs, units).
    ["pending uploads (hours)", "hourglass.archive.pending_hours", "hourglass_archive_pending_files"],
    ["oldest pending upload, s", "hourglass.archive.oldest_pending_age_s",
     "hourglass_archive_oldest_pending_age_seconds"],
  ];
  const DROP_RE = /drop|bad|truncat|refused|reject|fail|error|invalid|overflow|discard|skipped/;
  S.charts = {};
  let totals = {};  // /metrics values by name, from the last drops()

  // hourglass.statsd.bad_lines_seen -> "total N" of hourglass_statsd_bad_lines_seen_total
  // (a counter), or "now N" of a gauge; undefined if /metrics has neither.
  function total(target, exposed) {
    const name = exposed || target.replace(/\./g, "_");
    if (totals[name + "_total"] !== undefined) return "total " + totals[name + "_total"];
    if (totals[name] !== undefined) return "now " + totals[name];
    return undefined;
  }

  function stateCell(state) {
    return HG.el("td", { class: "state-" + state }, state);
  }

  async function health() {
    const response = await fetch("/health");  // never needs the token
    const page = await response.json();
    const overall = document.getElementById("health-overall");
    overall.textContent = page.status;
    overall.className = "state-" + page.status;
    const body = document.querySelector("#health-table tbody");
    body.replaceChildren(...Object.entries(page.components || {}).map(([name, c]) =>
      HG.el("tr", {}, HG.el("td", {}, name), stateCell(c.state), HG.el("td", {}, c.detail))));
    let about = "version " + page.version;
    if (page.uptime_s !== undefined) about += ", up " + duration(page.uptime_s);
    document.getElementById("status-about").textContent = about;
  }

  function duration(s) {
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + Math.floor(s % 60) + "s";
  }

  // Prometheus text: "# HELP name text" and "name value" lines.
  async function drops() {
    const text = await HG.text("/metrics");
    totals = {};
    const help = {}, rows = [];
    for (const line of text.split("\n")) {
      let m = line.match(/^# HELP (\S+) (.*)$/);
      if (m) { help[m[1]] = m[2]; continue; }
      m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/);
      if (m && !m[2]) totals[m[1]] = Number(m[3]);
      if (m && DROP_RE.test(m[1])) rows.push([m[1] + (m[2] || ""), Number(m[3]), help[m[1]] || ""]);
    }
    const body = document.querySelector("#drops-table tbody");
    body.replaceChildren(...rows.map(([name, value, h]) => HG.el("tr",
      { class: value > 0 ? "nonzero" : "", title: h, "data-name": name },
      HG.el("td", {}, name), HG.el("td", { class: "num" }, value))));
  }

  async function chart(title, target, exposed, box) {
    const div = HG.el("div", { class: "plot" });
    const count = total(target, exposed);
    const h3 = HG.el("h3", {}, title);
    if (count !== undefined) h3.append(" ", HG.el("span", { class: "total", "data-total": target }, count));
    box.replaceChildren(h3, div);
    try {
      const series = await HG.json("/render", { target, from: "-1h", format: "json", maxDataPoints: 380 });
      if (series.length === 0) { div.textContent = "no data yet"; return; }
      series.forEach(s => { s.target = title; });
      S.charts[title] = HG.plot(div, series, null, { legend: "never", drawPoints: false });
    } catch (e) {
      div.textContent = e.message;
    }
  }

  S.show = async function () {
    HG.showError("");
    try { await health(); } catch (e) { HG.showError(e.message); }
    try { await drops(); } catch (e) { HG.showError(e.message); }
    const charts = document.getElementById("status-charts");
    charts.replaceChildren();
    S.charts = {};
    await Promise.all(CHARTS.map(([title, target, exposed]) => {
      const box = HG.el("div", { class: "small-chart" });
      charts.append(box);
      return chart(title, target, exposed, box);
    }));
  };
})(HG.status);
