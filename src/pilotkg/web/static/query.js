// The query page: load YASGUI from its CDN when the network allows, and keep the
// plain form (which needs no script at all) working either way.
(function () {
  "use strict";
  // A long query does not fit in a URL (the server reads request lines of up to 16 KiB):
  // the plain form sends it in the body instead, which also keeps it on any error.
  var plain = document.getElementById("plain");
  if (plain) {
    plain.addEventListener("submit", function () {
      var text = plain.querySelector("textarea");
      if (text && encodeURIComponent(text.value).length > 8000) plain.method = "post";
    });
  }
  // After a syntax error, the cursor waits at the mistake, selected, in the kept query.
  var kept = document.getElementById("query-text");
  if (kept && kept.dataset.errorLine) {
    var lines = kept.value.split("\n");
    var line = Math.min(Number(kept.dataset.errorLine), lines.length);
    var at = Array.from(lines[line - 1] || "").slice(0, Number(kept.dataset.errorColumn) - 1).join("").length;
    for (var i = 0; i < line - 1; i++) at += lines[i].length + 1;
    kept.focus({ preventScroll: true });
    kept.setSelectionRange(at, at + Number(kept.dataset.errorWidth || 1));
  }
  var box = document.getElementById("yasgui");
  if (!box || !box.dataset.js) return;
  // The pinned build comes with its SHA-384 (Subresource Integrity): the browser refuses
  // a file whose bytes the CDN changed. Another URL has no known hash, and then no CORS
  // request is asked for either, so a mirror without CORS headers still works.
  function checked(element, integrity) {
    if (integrity) {
      element.integrity = integrity;
      element.crossOrigin = "anonymous";
    }
    return element;
  }
  var css = checked(document.createElement("link"), box.dataset.cssIntegrity);
  css.rel = "stylesheet";
  css.href = box.dataset.css;
  document.head.appendChild(css);
  var script = checked(document.createElement("script"), box.dataset.jsIntegrity);
  script.src = box.dataset.js;
  script.onload = function () {
    if (!window.Yasgui) return;
    // Class and property completion asks lov.linkeddata.es, which the page's policy does not
    // let it reach (nor should what is typed go there): only variables and prefixes complete.
    var Yasqe = window.Yasgui.Yasqe;
    if (Yasqe && Yasqe.defaults && Array.isArray(Yasqe.defaults.autocompleters)) {
      Yasqe.defaults.autocompleters = Yasqe.defaults.autocompleters.filter(function (name) {
        return name !== "class" && name !== "property";
      });
    }
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
