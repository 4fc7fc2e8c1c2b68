// The SPARQL editor: YASGUI against this server's /sparql, one tab per example. Nothing is asked of the
// internet (prefix.cc, LOV): prefixes complete from kg's list, so the editor works offline.
(function () {
  "use strict";
  var examples = JSON.parse(document.getElementById("examples").textContent);
  var endpoint = window.location.origin + "/sparql";
  // Prefix completion from kg's own list; the class and property completers (which ask LOV) are off.
  Yasgui.Yasqe.defaults.prefixCcApi = window.location.origin + "/query/prefixes.json";
  Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(function (name) {
    return name === "prefixes" || name === "variables";
  });
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    yasqe: { value: examples[0].query },
  });
  // the first tab YASGUI opened becomes the first example; the rest get a tab each
  var first = yasgui.getTab();
  first.setName(examples[0].name);
  first.setQuery(examples[0].query);
  for (var i = 1; i < examples.length; i++) {
    yasgui.addTab(false, { name: examples[i].name, yasqe: { value: examples[i].query },
                           requestConfig: { endpoint: endpoint, method: "POST" } });
  }
  window.kgYasgui = yasgui;
})();
