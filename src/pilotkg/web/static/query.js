// The query page: load YASGUI from its CDN when the network allows, and keep the
// plain form (which needs no script at all) working either way.
(function () {
  "use strict";
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
