/* The outcomes page: reads ./api/v1/outcomes and draws one SVG chart per measure (the
   VRU's force area against England and Wales, per 100,000 residents). No outside code. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = { force: "#1d4f91", vru: "#1d4f91", english_region: "#8a8f98", country: "#c0392b" };

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function svg(tag, attrs, text) {
    var n = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function fmt(x, nd) {
    return x === null || x === undefined ? "not published" :
      Number(x).toLocaleString("en-GB", { maximumFractionDigits: nd || 0, minimumFractionDigits: nd || 0 });
  }
  function shortLabel(p) { return "YE Mar " + p.period_end.slice(2, 4); }

  function chart(measure) {
    var series = measure.series.filter(function (s) {
      return s.points.some(function (p) { return p.rate_per_100k !== null; });
    });
    var fig = el("section", { "class": "oc-card oc-chart", "data-measure": measure.id });
    fig.appendChild(el("h2", {}, measure.title + ", per 100,000 residents"));
    fig.appendChild(el("p", { "class": "oc-muted" }, measure.definition));
    if (!series.length) {
      fig.appendChild(el("p", {}, "No rates per 100,000 in the tables read."));
      return fig;
    }
    var ends = [];
    series.forEach(function (s) { s.points.forEach(function (p) {
      if (ends.indexOf(p.period_end) < 0) ends.push(p.period_end); }); });
    ends.sort();
    var max = 0;
    series.forEach(function (s) { s.points.forEach(function (p) {
      if (p.rate_per_100k > max) max = p.rate_per_100k; }); });
    max = max * 1.1 || 1;
    var narrow = window.innerWidth < 560;
    var W = narrow ? 360 : 640, H = narrow ? 240 : 300, L = 44, R = 12, T = 12, B = 40;
    var x = function (i) { return L + (ends.length > 1 ? i * (W - L - R) / (ends.length - 1) : (W - L - R) / 2); };
    var y = function (v) { return T + (H - T - B) * (1 - v / max); };
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": measure.title + " per 100,000 residents, years ending March" });
    for (var g = 0; g <= 4; g++) {
      var v = max * g / 4;
      root.appendChild(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e3e5e8" }));
      root.appendChild(svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 12,
        fill: "#555" }, fmt(v, v < 10 ? 1 : 0)));
    }
    var step = Math.ceil(ends.length / (narrow ? 3 : 5));
    ends.forEach(function (e, i) {
      if (i % step && i !== ends.length - 1) return;
      root.appendChild(svg("text", { x: x(i), y: H - B + 18, "text-anchor": "middle", "font-size": 12,
        fill: "#555" }, shortLabel({ period_end: e })));
    });
    var legend = el("ul", { "class": "oc-legend" });
    series.forEach(function (s) {
      var colour = COLOURS[s.kind] || "#333";
      var pts = s.points.filter(function (p) { return p.rate_per_100k !== null; });
      var d = pts.map(function (p, k) {
        return (k ? "L" : "M") + x(ends.indexOf(p.period_end)) + "," + y(p.rate_per_100k);
      }).join(" ");
      root.appendChild(svg("path", { d: d, fill: "none", stroke: colour, "stroke-width": 2.5,
        "stroke-dasharray": s.kind === "english_region" ? "5 4" : "" }));
      pts.forEach(function (p) {
        var c = svg("circle", { cx: x(ends.indexOf(p.period_end)), cy: y(p.rate_per_100k), r: 4,
          fill: p.rate_provenance === "estimated" ? "#fff" : colour, stroke: colour, "stroke-width": 2 });
        c.appendChild(svg("title", {}, s.name + ", " + p.label + ": " + fmt(p.count) + " (" +
          fmt(p.rate_per_100k, 1) + " per 100,000; " + (p.rate_basis || "") + ")"));
        root.appendChild(c);
      });
      var li = el("li");
      var sw = el("span", { "class": "oc-swatch" });
      sw.style.background = colour;
      li.appendChild(sw);
      li.appendChild(document.createTextNode(s.name));
      legend.appendChild(li);
    });
    fig.appendChild(root);
    fig.appendChild(legend);
    fig.appendChild(el("p", { "class": "oc-muted" }, "One point per year ending March: the years do " +
      "not overlap. Hollow points use an estimated population (between the ONS mid-2016 " +
      "estimate and Census 2021)."));
    var mine = measure.series[0];
    if (mine.latest) {
      fig.appendChild(el("p", {}, "Latest 12 months, " + mine.latest.label + ": " + fmt(mine.latest.count) +
        " " + measure.noun + (mine.latest.rate_per_100k !== null ? " (" + fmt(mine.latest.rate_per_100k, 1) +
        " per 100,000)" : "") + ". It shares " + mine.latest.overlaps_months + " months with the " +
        mine.latest.overlaps + ", so it is not drawn as a point."));
    }
    return fig;
  }

  function hospital(measure, box) {
    box.innerHTML = "";
    box.appendChild(el("h2", {}, measure.title));
    box.appendChild(el("p", { "class": "oc-muted" }, measure.definition));
    if (measure.status === "awaiting partner data") {
      box.appendChild(el("p", {}, "")).appendChild(el("span", { "class": "oc-status" }, "Awaiting partner data"));
      box.appendChild(el("p", {}, "This measure needs the NHS hospital extract (ICD-10 X99, assault " +
        "by sharp object), which is not configured for this area."));
      return;
    }
    if (measure.synthetic) box.appendChild(el("p", { "class": "oc-status" }, "Synthetic (made-up) data"));
    var wrap = el("div", { "class": "oc-scroll" });
    var t = el("table", { "class": "oc-table" });
    var head = el("tr");
    ["Year", "All ages", "Under 25", "Months of records"].forEach(function (h) { head.appendChild(el("th", {}, h)); });
    t.appendChild(head);
    measure.years.forEach(function (yr) {
      var tr = el("tr");
      tr.appendChild(el("td", {}, yr.label));
      tr.appendChild(el("td", { "class": "num" }, yr.all_ages === null ? "fewer than 8" : fmt(yr.all_ages)));
      tr.appendChild(el("td", { "class": "num" }, yr.under_25 === null ? "not published" : fmt(yr.under_25)));
      tr.appendChild(el("td", { "class": "num" }, String(yr.months_covered)));
      t.appendChild(tr);
    });
    wrap.appendChild(t);
    box.appendChild(wrap);
  }

  function police(p, box) {
    if (!p.available) return;
    box.hidden = false;
    box.appendChild(el("h2", {}, "police.uk monthly counts (not the Home Office measures)"));
    box.appendChild(el("p", { "class": "oc-muted" }, p.note));
    var ul = el("ul");
    p.series.forEach(function (s) {
      var total = s.months.reduce(function (a, m) { return a + m.count; }, 0);
      var last = s.months[s.months.length - 1];
      ul.appendChild(el("li", {}, s.crime_type + " (" + s.what_it_is + "): " + fmt(total) + " over " +
        s.months.length + " months; " + fmt(last ? last.count : null) + " in " + (last ? last.month : "-") + "."));
    });
    box.appendChild(ul);
  }

  function render(r) {
    document.getElementById("oc-title").textContent = "Home Office success measures: " + (r.vru || r.region_name);
    document.getElementById("oc-sub").textContent = r.subject.name + " against " +
      r.comparators.map(function (c) { return c.name; }).join(" and ") + ". Police recorded crime, by police force area.";
    var ul = document.getElementById("oc-sentences");
    r.sentences.forEach(function (s) { ul.appendChild(el("li", {}, s)); });
    var charts = document.getElementById("oc-charts");
    r.measures.forEach(function (m) {
      if (m.id === "hospital_sharp_object_assault") hospital(m, document.getElementById("oc-hospital"));
      else charts.appendChild(chart(m));
    });
    police(r.police_uk, document.getElementById("oc-police"));
    var cannot = document.getElementById("oc-cannot");
    r.cannot_give.forEach(function (s) { cannot.appendChild(el("li", {}, s)); });
    document.getElementById("oc-rolling").textContent = r.rolling_years;
    var src = document.getElementById("oc-sources");
    r.sources.forEach(function (s) {
      src.appendChild(el("li", {}, s.name + (s.vintage ? " (" + s.vintage + ")" : "") +
        (s.attribution ? ". " + s.attribution : "")));
    });
    document.body.setAttribute("data-ready", "1");
  }

  fetch("api/v1/outcomes", { headers: { Accept: "application/json" } })
    .then(function (res) { return res.json(); })
    .then(function (body) {
      if (body.status !== 200) throw new Error(body.error || "no outcomes");
      render(body.result);
    })
    .catch(function (e) {
      document.getElementById("oc-sub").textContent = "The outcome series could not be loaded: " + e.message;
      document.body.setAttribute("data-ready", "error");
    });
})();
