// The query page: load YASGUI from its CDN when the network allows, and keep the
// plain form (which needs no script at all) working either way.
(function () {
  "use strict";
  var box = document.getElementById("yasgui");
  if (!box || !box.dataset.cdn) return;
  var base = box.dataset.cdn.replace(/\/$/, "");
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = base + "/build/yasgui.min.css";
  document.head.appendChild(css);
  var script = document.createElement("script");
  script.src = base + "/build/yasgui.min.js";
  script.onload = function () {
    if (!window.Yasgui) return;
    var endpoint = new URL(box.dataset.endpoint, window.location.href).href;
    var yasgui = new window.Yasgui(box, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: false,
      persistenceId: null
    });
    var text = document.getElementById("query-text");
    if (text) yasgui.getTab().setQuery(text.value);
    document.body.classList.add("has-yasgui");
  };
  script.onerror = function () { box.remove(); };
  document.head.appendChild(script);
})();
