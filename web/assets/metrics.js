// Hourglass page: the metrics view. A lazy tree (one /metrics/find per
// opened branch, at most MAX_CHILDREN shown), tags (/tags, /tags/<tag>),
// the targets, time range and dygraph chart; the whole view is in the hash.
"use strict";
HG.metrics = {};
(function (M) {
  const MAX_CHILDREN = 500;
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
    return branch(node.text, node.id, ul => loadNodes(ul, node.id + ".*"));
  }

  async function loadNodes(ul, query) {
    const nodes = await HG.json("/metrics/find", { query, format: "treejson" });
    children(ul, nodes, findNode);
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
    loadNodes(document.getElementById("tree"), "*").catch(e => HG.showError(e.message));
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
