// Hourglass page: picks the view named in the hash and shows it.
"use strict";
(function () {
  const VIEWS = { metrics: HG.metrics, status: HG.status, audit: HG.audit };

  function route() {
    const state = HG.state();
    const view = VIEWS[state.get("view")] ? state.get("view") : "metrics";
    HG.lastHash[view] = location.hash || "#view=" + view;
    for (const name of Object.keys(VIEWS)) {
      document.getElementById("view-" + name).hidden = name !== view;
      document.getElementById("nav-" + name).classList.toggle("active", name === view);
    }
    document.body.dataset.view = view;
    VIEWS[view].show(state);
  }

  for (const name of Object.keys(VIEWS)) {
    document.getElementById("nav-" + name).addEventListener("click", ev => {
      if (!HG.lastHash[name]) return;
      ev.preventDefault();
      location.hash = HG.lastHash[name];
    });
  }
  HG.metrics.init();
  HG.audit.init();
  window.addEventListener("hashchange", route);
  route();
  HG.text("/version").then(v => { document.getElementById("version").textContent = "Hourglass " + v.trim(); })
    .catch(() => {});
})();
