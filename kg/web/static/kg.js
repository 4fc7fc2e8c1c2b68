// The home page: entity suggestions as one types (GET /entities?q=, typo-tolerant), and the named-query
// forms answered in place as sortable tables with CSV and JSON downloads.
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // --- search -------------------------------------------------------------------------------------
  var input = document.getElementById("search");
  var list = document.getElementById("suggestions");
  var timer = null, asked = 0;
  function suggest() {
    var q = input.value.trim();
    var ticket = ++asked;
    if (!q) { list.replaceChildren(); return; }
    fetch("/entities?limit=8&min_score=70&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (ticket !== asked) return;  // an older answer arriving late
        list.replaceChildren();
        if (!data.results || !data.results.length) { list.append(el("li", { class: "none" }, "No match")); return; }
        data.results.forEach(function (hit) {
          var li = el("li");
          var a = el("a", { href: "/entities/" + encodeURIComponent(hit.id) }, hit.label);
          li.append(a, el("span", { class: "meta" }, " " + (hit.type || "entity") +
            (hit.matched && hit.matched !== hit.label ? " · matched “" + hit.matched + "”" : "")));
          list.append(li);
        });
      });
  }
  if (input) {
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(suggest, 150); });
    input.form.addEventListener("submit", function (e) {
      e.preventDefault();
      var first = list.querySelector("a");
      if (first) window.location = first.href; else suggest();
    });
  }

  // --- named queries --------------------------------------------------------------------------------
  function cell(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  function link(value) {
    var text = cell(value);
    var m = /^https:\/\/w3id\.org\/kg\/id\/(entity|article)\/(.+)$/.exec(text);
    if (m) return el("a", { href: "/" + (m[1] === "entity" ? "entities" : "articles") + "/" + m[2] }, decodeURIComponent(m[2]));
    return document.createTextNode(text);
  }
  function table(data) {
    var t = el("table", { class: "sortable" });
    var head = el("tr");
    data.columns.forEach(function (c, i) {
      var th = el("th", { "data-col": i, title: "Sort" }, c);
      head.append(th);
    });
    var thead = el("thead");
    thead.append(head);
    t.append(thead);
    var body = el("tbody");
    data.rows.forEach(function (row) {
      var tr = el("tr");
      data.columns.forEach(function (c) { var td = el("td"); td.append(link(row[c])); tr.append(td); });
      body.append(tr);
    });
    t.append(body);
    head.addEventListener("click", function (e) {
      var th = e.target.closest("th");
      if (!th) return;
      var col = Number(th.dataset.col), asc = th.dataset.sort !== "asc";
      head.querySelectorAll("th").forEach(function (h) { delete h.dataset.sort; });
      th.dataset.sort = asc ? "asc" : "desc";
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent, y = b.cells[col].textContent;
        var nx = Number(x), ny = Number(y);
        var cmp = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? cmp : -cmp;
      });
      rows.forEach(function (r) { body.append(r); });
    });
    return t;
  }
  // --- entity page: the actors mentioned with it, asked for once the page is shown (the count runs over
  // every article the actor is in: the slowest part of a big actor's page) -------------------------------
  var co = document.getElementById("co-mentioned");
  if (co && co.dataset.actor) {
    fetch("/queries/co-mentioned?limit=21&actor=" + encodeURIComponent(co.dataset.actor),
          { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        var out = co.querySelector(".co");
        if (!res.ok) { out.replaceChildren(el("span", { class: "error" }, res.data.message || res.data.error)); return; }
        var others = res.data.rows.filter(function (r) { return r.other !== co.dataset.self; }).slice(0, 20);
        if (!others.length) { co.remove(); return; }
        out.replaceChildren();
        others.forEach(function (row, i) {
          if (i) out.append(document.createTextNode(" · "));
          var name = link(row.other);  // a link to the entity's page, named by its label
          name.textContent = row.label || row.other;
          out.append(name, document.createTextNode(" "), el("span", { class: "meta" }, "(" + row.articles + ")"));
        });
      })
      .catch(function (err) { co.querySelector(".co").replaceChildren(el("span", { class: "error" }, String(err))); });
  }

  document.querySelectorAll("form.run-query").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var params = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (v !== "") params.append(k, v); });
      var name = form.dataset.query, qs = params.toString() ? "?" + params.toString() : "";
      var out = form.parentNode.querySelector(".result"), downloads = form.querySelector(".downloads");
      out.replaceChildren(el("p", { class: "meta" }, "Running…"));
      fetch("/queries/" + name + qs, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
        .then(function (res) {
          out.replaceChildren();
          if (!res.ok) { out.append(el("p", { class: "error" }, res.data.message || res.data.error)); return; }
          downloads.replaceChildren(
            el("a", { href: "/queries/" + name + ".csv" + qs, download: name + ".csv" }, "CSV"),
            document.createTextNode(" · "),
            el("a", { href: "/queries/" + name + qs }, "JSON"));
          out.append(el("p", { class: "meta" }, res.data.count + " row(s)"));
          if (res.data.count) out.append(table(res.data));
        })
        .catch(function (err) { out.replaceChildren(el("p", { class: "error" }, String(err))); });
    });
  });
})();
