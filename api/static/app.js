/* The public needs map: LSOA vector tiles coloured by the chosen layer, optional
 * kernel-density surfaces, a postcode search that flies to the postcode and opens a panel
 * with the area's band, its drivers in plain English and the support nearby.
 * Every request goes to this server (no CDN, no outside base map unless configured). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("sna-config").textContent || "{}");
  var BAND_COLOURS = {
    Highest: "#bd0026", High: "#f03b20", Medium: "#fd8d3c", Low: "#fecc5c", Lowest: "#ffffb2"
  };
  var GREEN = {
    Highest: "#006d2c", High: "#31a354", Medium: "#74c476", Low: "#bae4b3", Lowest: "#edf8e9"
  };
  var BANDS = ["Highest", "High", "Medium", "Low", "Lowest"];
  var SCORE_LABELS = {
    Highest: "Well above the regional average", High: "Above average",
    Medium: "Around average", Low: "Below average", Lowest: "Well below average"
  };
  var LEVEL_TITLES = {
    individual: "Individual", relationship: "Relationships (family and peers)",
    community: "Community", society: "Society"
  };
  var ATTRIBUTION = "Contains public sector information licensed under the " +
    '<a href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/">OGL v3.0</a>' +
    " · Contains OS data © Crown copyright and database right · © OpenStreetMap contributors (ODbL)";

  var state = { layers: [], awaiting: [], layer: null, build: null, marker: null, surface: null };

  // Leaflet.VectorGrid 1.3 calls L.DomEvent.fakeStop, which Leaflet 1.8+ removed.
  if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function () { return true; }; }

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(n) { return n == null ? "–" : Number(n).toLocaleString("en-GB"); }
  function $(id) { return document.getElementById(id); }

  var map = L.map("map", { zoomControl: false, preferCanvas: true, minZoom: 7, maxZoom: 18 });
  L.control.zoom({ position: "bottomright" }).addTo(map);
  window.snaMap = map;
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(ATTRIBUTION);
  map.setView([52.48, -1.89], 10);
  if (config.basemapUrl) {
    L.tileLayer(config.basemapUrl, {
      attribution: esc(config.basemapAttribution || ""), maxZoom: 19
    }).addTo(map);
  }

  // ------------------------------------------------------------------ colouring
  function scoreBand(s) {
    if (s == null) { return null; }
    if (s >= 1) { return "Highest"; }
    if (s >= 0.4) { return "High"; }
    if (s > -0.4) { return "Medium"; }
    if (s > -1) { return "Low"; }
    return "Lowest";
  }
  function palette(layer) { return layer.kind === "protective" ? GREEN : BAND_COLOURS; }
  function bandOf(props, layer) {
    if (layer.display === "band") { return props[layer.property] || null; }
    return scoreBand(props[layer.property]);
  }
  function style(props) {
    var layer = state.layer;
    var band = layer ? bandOf(props, layer) : null;
    var fill = band ? palette(layer)[band] : "#cfd5dd";
    return {
      fill: true, fillColor: fill, fillOpacity: state.surface ? 0.25 : 0.75,
      color: "#ffffff", weight: 0.8, opacity: 0.9
    };
  }

  var grid = L.vectorGrid.protobuf("/tiles/areas/{z}/{x}/{y}.pbf", {
    vectorTileLayerStyles: { lsoa: function (props) { return style(props); } },
    interactive: true,
    maxZoom: 18,
    rendererFactory: L.canvas.tile,
    getFeatureId: function (f) { return f.properties.code; }
  }).addTo(map);
  // For tests and screenshots: whether every visible LSOA tile has been drawn.
  grid.on("loading", function () { document.body.dataset.tiles = "loading"; });
  grid.on("load", function () { document.body.dataset.tiles = "loaded"; });
  grid.on("click", function (e) {
    if (e.layer && e.layer.properties) { showArea(e.layer.properties.code); }
  });

  // ------------------------------------------------------------------ layers
  function indexLayers(build) {
    var synth = build.synthetic_layers || [];
    var out = [];
    if (build.violence_model) {
      out.push({ id: "violence_risk", title: "Violence risk (expected offences)", kind: "risk",
        level: "summary", property: "violence_risk_band", display: "band", synthetic: false,
        index: true });
    }
    return out.concat([
      { id: "need", title: "Needs index (residents' risk factors)", kind: "risk", level: "summary",
        property: "need_band", display: "band", synthetic: synth.length > 0, index: true },
      { id: "risk", title: "Risk", kind: "risk", level: "summary",
        property: "risk_band", display: "band", synthetic: synth.length > 0, index: true },
      { id: "protective", title: "Protective factors", kind: "protective", level: "summary",
        property: "protective_band", display: "band", synthetic: false, index: true }
    ]);
  }

  function buildSwitcher() {
    var groups = [["summary", "Summary indices"]];
    ["individual", "relationship", "community", "society"].forEach(function (lv) {
      groups.push([lv, LEVEL_TITLES[lv] + " risks"]);
    });
    groups.push(["protective", "Protective factors"]);
    var html = "";
    groups.forEach(function (g) {
      var items = state.layers.filter(function (l) {
        if (g[0] === "summary") { return l.index; }
        if (g[0] === "protective") { return !l.index && l.kind === "protective"; }
        return !l.index && l.kind === "risk" && l.level === g[0];
      });
      if (!items.length) { return; }
      html += '<div class="layer-group"><h2>' + esc(g[1]) + "</h2>";
      items.forEach(function (l) {
        html += '<label class="layer-option"><input type="radio" name="layer" value="' +
          esc(l.id) + '"' + (state.layer && state.layer.id === l.id ? " checked" : "") +
          "><span>" + esc(l.title) +
          (l.synthetic && !l.index ? '<span class="tag tag-synthetic">illustrative</span>' : "") +
          (l.partner ? '<span class="tag tag-partner">banded</span>' : "") +
          (l.disclosure_level && l.disclosure_level !== "lsoa"
            ? '<span class="tag tag-partner">by ' + esc(l.disclosure_level) + "</span>" : "") +
          "</span></label>";
      });
      html += "</div>";
    });
    if (state.awaiting.length) {
      html += '<div class="layer-group" id="awaiting-layers"><h2>Not yet included</h2>';
      state.awaiting.forEach(function (l) {
        html += '<p class="layer-option layer-awaiting"><span>' + esc(l.title) +
          '<span class="tag tag-awaiting">' + esc(l.status) + "</span></span></p>";
      });
      html += '<p class="small muted">Weight 0 until the partner extract is configured.</p></div>';
    }
    $("layer-groups").innerHTML = html;
    Array.prototype.forEach.call(document.querySelectorAll('input[name="layer"]'), function (el) {
      el.addEventListener("change", function () { selectLayer(el.value); });
    });
  }

  function selectLayer(id) {
    state.layer = state.layers.filter(function (l) { return l.id === id; })[0] || state.layers[0];
    var hasSurface = !!(state.layer && state.layer.surface);
    $("surface-toggle-row").hidden = !hasSurface;
    if (!hasSurface) { $("surface-toggle").checked = false; }
    updateSurface();
    grid.redraw();
    renderLegend();
    renderNotice();
  }

  function updateSurface() {
    if (state.surface) { map.removeLayer(state.surface); state.surface = null; }
    var l = state.layer;
    if (l && l.surface && $("surface-toggle").checked) {
      var b = l.surface.bounds;
      state.surface = L.tileLayer(l.surface.tiles, {
        opacity: 0.85, maxNativeZoom: 16, maxZoom: 18,
        bounds: [[b[1], b[0]], [b[3], b[2]]]
      }).addTo(map);
    }
  }

  function renderLegend() {
    var l = state.layer;
    if (!l) { return; }
    var pal = palette(l);
    var html = "<h3>" + esc(l.title) + "</h3>";
    BANDS.forEach(function (b) {
      var label = l.display === "band" ? b : SCORE_LABELS[b];
      html += '<div class="row"><span class="swatch" data-colour="' + pal[b] +
        '"></span>' + esc(label) + "</div>";
    });
    if (state.surface && l.surface) {
      html += '<p class="note">Surface: ' +
        (l.surface.mode === "classes" ? "five classes (partner data, no values shown)"
          : "events per km² a year") + "</p>";
      l.surface.legend.forEach(function (e) {
        html += '<div class="row"><span class="swatch" data-colour="' + esc(e.colour) +
          '"></span>' + esc(e.label) + "</div>";
      });
    }
    html += '<p class="note">' + (l.index ? "Fifths of the region's neighbourhoods (LSOAs)."
      : l.display === "band" ? "Fifths of the region's neighbourhoods; partner data shown as bands only."
        : "Standardised score against the region.") + "</p>";
    $("legend").innerHTML = html;
    // The CSP forbids inline style attributes, so colours are applied through the DOM.
    Array.prototype.forEach.call($("legend").querySelectorAll(".swatch"), function (el) {
      el.style.background = el.getAttribute("data-colour");
    });
  }

  function synthTitles() {
    var ids = (state.build && state.build.synthetic_layers) || [];
    return state.layers.filter(function (l) { return !l.index && ids.indexOf(l.id) >= 0; })
      .map(function (l) { return l.title; });
  }

  function renderNotice() {
    var l = state.layer, el = $("notice");
    if (!l || !l.synthetic) { el.hidden = true; return; }
    el.textContent = l.index
      ? "Illustrative data: this index includes synthetic (made-up) stand-ins for partner data: " +
        synthTitles().join("; ") + ". Do not use it to judge a real place."
      : "Illustrative data: “" + l.title + "” is built from synthetic (made-up) records standing " +
        "in for partner data that is not open. Do not use it to judge a real place.";
    el.hidden = false;
  }

  // ------------------------------------------------------------------ panel
  function openPanel(html) {
    $("panel-body").innerHTML = html;
    $("panel").hidden = false;
  }
  $("panel-close").addEventListener("click", function () { $("panel").hidden = true; });

  function indexSummary(idx, label) {
    if (!idx) { return ""; }
    var interval = idx.rank_interval
      ? " (likely between " + fmt(idx.rank_interval.lo) + " and " + fmt(idx.rank_interval.hi) + ")"
      : "";
    return '<div class="band-row"><span class="band-chip band-' + esc(idx.band) + '">' +
      esc(idx.band) + " " + esc(label) + "</span><span>Decile " + fmt(idx.decile) +
      " of 10</span></div><p class=\"small muted\">Ranked " + fmt(idx.rank) + " of " +
      fmt(idx.of) + interval + "; 1 is the highest in the region.</p>";
  }

  function num(x, digits) {
    return x == null ? "–" : Number(x).toLocaleString("en-GB", { maximumFractionDigits: digits || 0 });
  }

  // Violence risk leads the answer: expected offences with their interval, the comparison
  // with the regional average, the rank in words and the model's drivers as factors.
  function violenceSummary(v) {
    if (!v) { return ""; }
    var html = '<section id="violence-risk"><h3>' + esc(v.title) + "</h3>" +
      '<div class="band-row"><span class="band-chip band-' + esc(v.band) + '">' + esc(v.band) +
      " violence risk</span><span>Decile " + fmt(v.decile) + " of 10 (1 = highest)</span></div>" +
      '<p class="headline" id="violence-headline">About <strong>' + num(v.value) + "</strong> " +
      "violent or sexual offences expected in the next 12 months" +
      (v.interval ? " (likely " + num(v.interval.lo) + " to " + num(v.interval.hi) + ")" : "") +
      ", " + num(v.ratio_to_regional_mean, 1) + " times the regional average of " +
      num(v.regional_mean) + ".</p>";
    if (v.recorded_last_year != null) {
      html += '<p class="small">Recorded in the last year: about ' + num(v.recorded_last_year) +
        " offences.</p>";
    }
    html += '<p class="small muted">Ranked ' + fmt(v.rank) + " of " + fmt(v.of) +
      (v.rank_interval ? " (likely between " + fmt(v.rank_interval.lo) + " and " +
        fmt(v.rank_interval.hi) + ")" : "") +
      (v.p_top_decile != null ? "; a " + Math.round(100 * v.p_top_decile) +
        "% chance of being in the top 10%" : "") + ".</p>";
    if (v.drivers && v.drivers.length) {
      html += '<ul class="drivers" id="violence-drivers">' + v.drivers.map(function (d) {
        return "<li>" + esc(d.text) + "</li>";
      }).join("") + "</ul>";
    }
    html += '<p class="small muted">' + esc(v.measures) + ".</p></section>";
    return html;
  }

  function driverList(drivers) {
    if (!drivers || !drivers.length) { return "<p class=\"muted\">No factor stands out.</p>"; }
    return '<ul class="drivers" id="drivers">' + drivers.map(function (d) {
      return "<li>" + esc(d.text) +
        (d.synthetic ? ' <span class="tag tag-synthetic">illustrative</span>' : "") + "</li>";
    }).join("") + "</ul>";
  }

  function assetList(assets) {
    if (!assets || !assets.nearest || !assets.nearest.length) {
      return '<p class="muted">No places of worship or libraries recorded within ' +
        fmt(assets ? assets.radius_m : 1000) + " m.</p>";
    }
    return '<p class="small muted">' + fmt(assets.count) + " within " + fmt(assets.radius_m) +
      ' m; nearest:</p><ul class="assets" id="assets">' + assets.nearest.map(function (a) {
        return "<li><span>" + esc(a.name) + ' <span class="muted small">' +
          esc(String(a.type).replace(/_/g, " ")) + "</span></span><span class=\"dist\">" +
          fmt(a.distance_m) + " m</span></li>";
      }).join("") + "</ul>";
  }

  function synthWarning(obj) {
    if (!obj.synthetic) { return ""; }
    return '<p class="warn">Illustrative data: these results include synthetic stand-ins for ' +
      "partner data (" + esc(synthTitles().join("; ") || obj.synthetic_layers.join(", ")) +
      "). Do not use them to judge a real place.</p>";
  }

  function vintages(obj) {
    var rows = Object.keys(obj.vintages || {}).map(function (k) {
      var layer = state.layers.filter(function (l) { return l.id === k; })[0];
      return "<dt>" + esc(layer ? layer.title : k) + "</dt><dd>" + esc(obj.vintages[k]) + "</dd>";
    }).join("");
    return "<details><summary>Data sources and dates</summary><dl class=\"kv\">" + rows +
      "</dl><p class=\"small muted\">Build " + esc(obj.build_id) + "</p></details>";
  }

  function showPostcode(pc) {
    var html = "<h2 id=\"panel-title\">" + esc(pc.postcode) + "</h2>" +
      '<p class="place">' + esc(pc.lsoa21 ? pc.lsoa21.name : "") +
      (pc.ward ? " · " + esc(pc.ward.name) : "") + (pc.district ? " · " + esc(pc.district.name) : "") +
      "</p>";
    if (pc.note) { html += '<p class="warn" id="terminated">' + esc(pc.note) + "</p>"; }
    html += violenceSummary(pc.violence_risk);
    html += "<h3>Needs index</h3><p class=\"small muted\">Where residents, young people " +
      "especially, carry the risk factors behind violence.</p>";
    html += indexSummary(pc.indices && pc.indices.need, "need");
    html += '<p class="explain" id="explanation">' + esc(pc.explanation) + "</p>";
    html += "<h3>What drives the needs index</h3>" + driverList(pc.drivers);
    html += "<h3>Support nearby</h3>" + assetList(pc.assets);
    html += synthWarning(pc);
    if (pc.lsoa21) {
      html += '<p class="small"><a href="#" id="area-link" data-code="' + esc(pc.lsoa21.code) +
        '">More about this area</a></p>';
    }
    html += vintages(pc);
    openPanel(html);
    var link = $("area-link");
    if (link) {
      link.addEventListener("click", function (e) { e.preventDefault(); showArea(link.dataset.code); });
    }
  }

  function layerRows(area) {
    return "<dl class=\"kv\">" + area.layers.map(function (l) {
      var v = l.partner ? (l.band ? l.band + " (band)" : "–")
        : (l.value == null ? "–" : Number(l.value).toLocaleString("en-GB", { maximumFractionDigits: 2 }));
      return "<dt>" + esc(l.title) + (l.synthetic ? " *" : "") + "</dt><dd>" + esc(v) + "</dd>";
    }).join("") + "</dl>";
  }

  function showArea(code) {
    fetch("/api/v1/areas/" + encodeURIComponent(code)).then(function (r) {
      if (!r.ok) { throw new Error("area " + code + ": " + r.status); }
      return r.json();
    }).then(function (body) {
      var a = body.result;
      var cmp = a.comparison || {};
      var html = "<h2 id=\"panel-title\">" + esc(a.name) + "</h2><p class=\"place\">" +
        esc(a.level === "lsoa" ? "Neighbourhood (LSOA) " + a.code : a.code) +
        (a.ward ? " · " + esc(a.ward.name) : "") + (a.district ? " · " + esc(a.district.name) : "") +
        " · " + fmt(a.population) + " residents</p>";
      html += violenceSummary(a.violence_risk);
      html += "<h3>Needs index</h3><p class=\"small muted\">Where residents, young people " +
        "especially, carry the risk factors behind violence.</p>";
      html += indexSummary(a.indices.need, "need");
      html += '<p class="explain" id="explanation">' + esc(a.explanation) + "</p>";
      html += "<h3>What drives the needs index</h3>" + driverList(a.drivers);
      html += "<h3>Compared with</h3><dl class=\"kv\">";
      if (cmp.district) {
        html += "<dt>" + esc(cmp.district.name) + "</dt><dd>need " + esc(cmp.district.need) + "</dd>";
      }
      html += "<dt>" + esc(cmp.region.name) + "</dt><dd>need " + esc(cmp.region.need) + "</dd>" +
        "<dt>This area</dt><dd>need " + esc(a.indices.need.value) + "</dd></dl>";
      html += "<h3>Layers</h3>" + layerRows(a) + synthWarning(a) + vintages(a);
      openPanel(html);
    }).catch(function (err) { console.warn(err); });
  }

  // ------------------------------------------------------------------ search
  function searchError(text) {
    var el = $("search-error");
    el.textContent = text || "";
    el.hidden = !text;
  }

  $("postcode-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = $("postcode-input").value.trim();
    if (!q) { return; }
    searchError("");
    fetch("/api/v1/postcodes/" + encodeURIComponent(q)).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    }).then(function (res) {
      if (!res.ok) {
        var error = res.body && res.body.error;
        searchError(res.status === 404 && error ? error
          : (error || "That does not look like a postcode."));
        return;
      }
      var pc = res.body.result;
      if (pc.location) {
        var ll = [pc.location.latitude, pc.location.longitude];
        if (state.marker) { map.removeLayer(state.marker); }
        state.marker = L.circleMarker(ll, {
          radius: 9, color: "#ffffff", weight: 3, fillColor: "#1f5fbf", fillOpacity: 1
        }).addTo(map).bindTooltip(pc.postcode);
        map.flyTo(ll, 15, { duration: 0.8 });
      }
      showPostcode(pc);
    }).catch(function () { searchError("The service did not answer; try again."); });
  });

  var timer = null;
  $("postcode-input").addEventListener("input", function () {
    clearTimeout(timer);
    var q = this.value.trim();
    if (q.length < 2 || q.length > 8) { return; }
    timer = setTimeout(function () {
      fetch("/api/v1/postcodes?limit=8&q=" + encodeURIComponent(q)).then(function (r) {
        return r.ok ? r.json() : { result: [] };
      }).then(function (body) {
        $("postcode-list").innerHTML = (body.result || []).map(function (p) {
          return '<option value="' + esc(p) + '"></option>';
        }).join("");
      }).catch(function () { /* autocomplete is optional */ });
    }, 150);
  });

  $("layers-toggle").addEventListener("click", function () {
    var box = $("layers");
    var open = !box.classList.contains("open");
    box.classList.toggle("open", open);
    this.setAttribute("aria-expanded", String(open));
  });
  $("surface-toggle").addEventListener("change", function () {
    updateSurface(); grid.redraw(); renderLegend();
  });

  // ------------------------------------------------------------------ start
  Promise.all([
    fetch("/api/v1/builds").then(function (r) { if (!r.ok) { throw r; } return r.json(); }),
    fetch("/api/v1/layers").then(function (r) { if (!r.ok) { throw r; } return r.json(); })
  ]).then(function (bodies) {
    var res = [bodies[0].result, bodies[1].result];
    var build = res[0];
    state.build = build;
    state.build.violence_model = res[1].violence_model;
    var all = res[1].layers;
    // layers awaiting partner data have weight 0 and no values: listed, not selectable
    state.awaiting = all.filter(function (l) { return l.display === "none"; });
    state.layers = indexLayers(state.build).concat(
      all.filter(function (l) { return l.display !== "none"; }));
    $("subtitle").textContent = build.region_name + " · where violence is expected, and " +
      "where residents carry its risk factors · build " + build.build_id;
    var b = build.bounds;
    if (b && b.length === 4) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [10, 10] }); }
    state.layer = state.layers[0];
    buildSwitcher();
    selectLayer(state.layers[0].id);
    document.body.dataset.ready = "true";
  }).catch(function () {
    $("subtitle").textContent = "The data is still loading; refresh in a moment.";
  });
})();
