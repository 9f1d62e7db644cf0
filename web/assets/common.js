// Hourglass page: shared helpers. API requests (same origin only) carry the
// bearer token kept in sessionStorage for this tab; a 401 asks for it once.
"use strict";
const HG = {};

HG.PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
              "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
HG.TOKEN_KEY = "hourglass.token";

HG.el = function (tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
};

HG.showError = function (message) {
  const box = document.getElementById("error");
  box.textContent = message || "";
  box.hidden = !message;
};

// One pending question at a time, shared by every request that got a 401.
let tokenQuestion = null;
HG.askToken = function (wrong) {
  if (tokenQuestion) return tokenQuestion;
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  document.getElementById("token-error").textContent = wrong ? "that token was refused" : "";
  form.hidden = false;
  input.focus();
  tokenQuestion = new Promise(resolve => {
    form.addEventListener("submit", ev => {
      ev.preventDefault();
      sessionStorage.setItem(HG.TOKEN_KEY, input.value);
      input.value = "";
      form.hidden = true;
      tokenQuestion = null;
      resolve();
    }, { once: true });
  });
  return tokenQuestion;
};

HG.url = function (path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    for (const item of Array.isArray(v) ? v : [v]) q.append(k, item);
  }
  const s = q.toString();
  return s ? path + "?" + s : path;
};

// GET path?params; resolves to the Response (ok) or throws Error(message).
HG.fetch = async function (path, params) {
  for (let attempt = 0; ; ++attempt) {
    const headers = {};
    const token = sessionStorage.getItem(HG.TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(HG.url(path, params), { headers, credentials: "same-origin" });
    if (response.status === 401 && attempt < 5) {
      await HG.askToken(token !== null);
      continue;
    }
    if (!response.ok) {
      const text = (await response.text()).trim();
      throw new Error(path + ": " + response.status + " " + text);
    }
    return response;
  }
};
HG.json = async (path, params) => (await HG.fetch(path, params)).json();
HG.text = async (path, params) => (await HG.fetch(path, params)).text();

// The view's state lives in the URL's hash: #view=metrics&target=...&from=...
HG.state = () => new URLSearchParams(location.hash.slice(1));
HG.lastHash = {};  // each view's last URL: its nav link goes back to it
HG.setState = function (params, replace) {
  const hash = "#" + params.toString();
  HG.lastHash[params.get("view")] = hash;
  if (hash === location.hash) return;
  if (replace) history.replaceState(null, "", hash); else history.pushState(null, "", hash);
};

// Graphite's render JSON as dygraphs rows: [Date, v1, v2, ...] over the
// union of every series' timestamps (null where a series has no point).
HG.toRows = function (series) {
  const index = new Map();
  series.forEach((s, i) => {
    for (const [v, t] of s.datapoints) {
      let row = index.get(t);
      if (!row) { row = new Array(series.length + 1).fill(null); row[0] = t; index.set(t, row); }
      row[i + 1] = v;
    }
  });
  return [...index.values()].sort((a, b) => a[0] - b[0]).map(r => { r[0] = new Date(r[0] * 1000); return r; });
};

// The legend as HTML with colour classes (the CSP forbids style attributes).
HG.legendFormatter = function (data) {
  const esc = s => String(s).replace(/[&<>"']/g, c => "&#" + c.charCodeAt(0) + ";");
  const parts = [];
  if (data.x !== undefined && data.xHTML) parts.push("<b>" + esc(new Date(data.x).toISOString()) + "</b>");
  data.series.forEach((s, i) => {
    if (!s.isVisible) return;
    const value = data.x !== undefined ? (s.yHTML === undefined ? "\u2013" : s.yHTML) : "";
    parts.push('<span class="c' + (i % HG.PALETTE.length) + '">\u25a0 ' + esc(s.label) +
               (value !== "" ? " " + value : "") + "</span>");
  });
  return parts.join(" ");
};

// A dygraph of render JSON in `div` (an existing one is updated).
HG.plot = function (div, series, old, extra) {
  const rows = HG.toRows(series);
  const options = Object.assign({
    labels: ["time", ...series.map(s => s.target)],
    colors: series.map((s, i) => HG.PALETTE[i % HG.PALETTE.length]),
    legend: "always",
    legendFormatter: HG.legendFormatter,
    connectSeparatedPoints: false,
    drawPoints: rows.length < 60,
    labelsUTC: false,
    axes: { x: { axisLabelWidth: 70 }, y: { axisLabelWidth: 60 } },
  }, extra || {});
  if (rows.length === 0) rows.push([new Date(), ...series.map(() => null)]);
  if (old) { old.updateOptions(Object.assign({ file: rows }, options)); return old; }
  return new Dygraph(div, rows, options);
};

HG.bytes = function (n) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; ++i; }
  return (i ? n.toFixed(1) : n) + " " + units[i];
};
