// Hourglass page: the metrics view. A lazy tree (one /metrics/find per
// opened branch, asking at most TREE_LIMIT children: past that, "N of M
// shown" and a filter box that asks again with a glob), tags (/tags, /tags/<tag>),
// the targets, time range and dygraph chart; the whole view is in the hash.
"use strict";
HG.metrics = {};
(function (M) {
  const MAX_CHILDREN = 500;
  // ?tree_limit=N in the page's address lowers it (the e2e test does).
  const TREE_LIMIT = Number(new URLSearchParams(location.search).get("tree_limit")) || MAX_CHILDREN;
  const RANGES = ["-15min", "-1h", "-6h", "-24h", "-7d", "-30d"];
  M.chart = null;  // the Dygraph (tests read it)
  M.lastRender = null;  // the render JSON it was drawn from

  function targets() {
    return document.getElementById("targets").value.split("\n").map(t => t.trim()).filter(t => t);
  }

  function addTarget(target) {
    const list = targets();
    if (!list.includes(target)) list.push(target);
    document.getElementById("targets").value = list.join("\n");
    M.draw(true);
  }

  function children(ul, items, makeItem) {
    ul.replaceChildren();
    items.slice(0, MAX_CHILDREN).forEach(item => ul.append(makeItem(item)));
    if (items.length > MAX_CHILDREN) {
      ul.append(HG.el("li", { class: "note" }, (items.length - MAX_CHILDREN) +
        " more: type a pattern (with *) in the target box"));
    }
    if (items.length === 0) ul.append(HG.el("li", { class: "note" }, "(empty)"));
  }

  // A branch: its children are fetched when it is first opened.
  function branch(label, title, load) {
    const span = HG.el("span", { class: "branch", title });
    span.textContent = label;
    const ul = HG.el("ul");
    ul.hidden = true;
    let loaded = false;
    span.addEventListener("click", async () => {
      ul.hidden = !ul.hidden;
      span.classList.toggle("open", !ul.hidden);
      if (loaded || ul.hidden) return;
      loaded = true;
      try { await load(ul); } catch (e) { loaded = false; HG.showError(e.message); }
    });
    return HG.el("li", {}, span, ul);
  }

  function leaf(label, title, target) {
    const span = HG.el("span", { class: "leaf", title });
    span.textContent = label;
    span.addEventListener("click", () => addTarget(target));
    return HG.el("li", {}, span);
  }

  function findNode(node) {
    if (node.leaf) return leaf(node.text, node.id, node.id);
    return branch(node.text, node.id, ul => loadNodes(ul, node.id));
  }

  // The children of `path` ("" for the top) whose name holds `filter`, at
  // most TREE_LIMIT (/metrics/find's limit; X-Hourglass-Total says how many
  // matched). Past the limit, or once filtered, a filter box comes first.
  async function loadNodes(ul, path, filter) {
    const query = (path ? path + "." : "") + (filter ? "*" + filter + "*" : "*");
    const response = await HG.fetch("/metrics/find", { query, format: "treejson", limit: TREE_LIMIT });
    const nodes = await response.json();
    const total = Number(response.headers.get("X-Hourglass-Total") || nodes.length);
    let box = ul.querySelector(":scope > li.filter");
    if (!box && (total > nodes.length || filter)) box = filterBox(ul, path);
    if (box) {  // kept in place (not moved): it keeps the focus while typing
      while (ul.lastChild && ul.lastChild !== box) ul.removeChild(ul.lastChild);
      if (ul.firstChild !== box) ul.replaceChildren(box);
      ul.append(...nodes.map(findNode));
      box.firstChild.textContent = nodes.length < total
        ? nodes.length + " of " + total + " shown, type to filter " : total + " shown ";
    } else {
      ul.replaceChildren(...nodes.map(findNode));
    }
    if (nodes.length === 0) ul.append(HG.el("li", { class: "note" }, "(empty)"));
  }

  function filterBox(ul, path) {
    const input = HG.el("input", { type: "search", placeholder: "filter", "aria-label": "filter " + path });
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => loadNodes(ul, path, input.value.trim().replace(/\./g, ""))
        .catch(e => HG.showError(e.message)), 250);
    });
    return HG.el("li", { class: "note filter" }, HG.el("label", {}, ""), input);
  }

  async function loadTags(ul) {
    const tags = await HG.json("/tags", { limit: MAX_CHILDREN + 1 });
    children(ul, tags.filter(t => t.tag !== "name"), t => branch(t.tag, t.tag, async sub => {
      const info = await HG.json("/tags/" + encodeURIComponent(t.tag), { limit: MAX_CHILDREN + 1 });
      children(sub, info.values || [], v => {
        const expr = "seriesByTag('" + t.tag + "=" + v.value + "')";
        return leaf(v.value + (v.count ? " (" + v.count + ")" : ""), expr, expr);
      });
    }));
  }

  M.draw = async function (push) {
    const list = targets();
    const from = document.getElementById("from").value.trim() || "-1h";
    const until = document.getElementById("until").value.trim() || "now";
    const state = new URLSearchParams({ view: "metrics" });
    list.forEach(t => state.append("target", t));
    state.set("from", from);
    state.set("until", until);
    HG.setState(state, !push);
    const div = document.getElementById("chart");
    if (list.length === 0) {
      if (M.chart) { M.chart.destroy(); M.chart = null; }
      M.lastRender = null;
      return;
    }
    const width = Math.max(100, div.clientWidth || 800);
    try {
      const series = await HG.json("/render", { target: list, from, until, format: "json", maxDataPoints: width });
      HG.showError("");
      M.lastRender = series;
      if (M.chart) { M.chart.destroy(); M.chart = null; }
      if (series.length === 0) { div.replaceChildren(HG.el("p", { class: "hint" }, "no series matched")); return; }
      div.replaceChildren();
      M.chart = HG.plot(div, series, null, { labelsDiv: document.getElementById("legend") });
    } catch (e) {
      HG.showError(e.message);
    }
  };

  M.init = function () {
    const quick = document.getElementById("quick-ranges");
    for (const r of RANGES) {
      const b = HG.el("button", { type: "button" }, r);
      b.addEventListener("click", () => {
        document.getElementById("from").value = r;
        document.getElementById("until").value = "now";
        M.draw(true);
      });
      quick.append(b);
    }
    document.getElementById("render-form").addEventListener("submit", ev => { ev.preventDefault(); M.draw(true); });
    document.getElementById("clear").addEventListener("click", () => {
      document.getElementById("targets").value = "";
      M.draw(true);
    });
    loadNodes(document.getElementById("tree"), "").catch(e => HG.showError(e.message));
    loadTags(document.getElementById("tag-tree")).catch(() => {});
  };

  // Called when the hash changes (and at load): the view from the URL.
  M.show = function (state) {
    document.getElementById("targets").value = state.getAll("target").join("\n");
    document.getElementById("from").value = state.get("from") || "-1h";
    document.getElementById("until").value = state.get("until") || "now";
    M.draw(false);
  };
})(HG.metrics);
