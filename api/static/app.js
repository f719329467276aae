/* The public needs map: LSOA vector tiles coloured by the chosen layer, district and ward
 * outlines and names (our own boundary files), optional kernel-density surfaces, and a
 * postcode search (or "Use my location": the nearest postcodes) that moves the map to the
 * postcode (kept clear of the panel) and opens a panel: violence risk in words and numbers, the needs profile with units and comparisons,
 * the trend, and the support nearby. Bands and deciles are the API's and the tiles' own:
 * this page never bands a value itself.
 * Every request goes to this server (no CDN, no outside base map unless configured). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("sna-config").textContent || "{}");
  // A VRU's own map is served under /vru/<id>/ (api/front_door.py): its requests go there.
  // The map at / of a national build answers each postcode under its own VRU.
  var PAGE = (window.location.pathname.match(/^\/vru\/[a-z0-9-]+/) || [""])[0];
  function api(path) { return PAGE + path; }
  // The one theme table (sna/theme.py): the printed maps use the same bands, colours, labels.
  var THEME = config.theme;
  var BAND_COLOURS = THEME.colours.risk;
  var GREEN = THEME.colours.protective;
  var BANDS = THEME.bands;
  // Open-data layers are drawn as a continuous colour of their standardised score (0 = the
  // regional average), not cut into bands: the only bands shown are those the build gives.
  var SCORE_STOPS = [-2, -1, 0, 1, 2];
  var LEVEL_TITLES = {
    individual: "Individual", relationship: "Relationships (family and peers)",
    community: "Community", society: "Society"
  };
  var ATTRIBUTION = "Contains public sector information licensed under the " +
    '<a href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/">OGL v3.0</a>' +
    " · Contains OS data © Crown copyright and database right · © OpenStreetMap contributors (ODbL)";

  var state = {
    layers: [], awaiting: [], layer: null, build: null, marker: null, surface: null,
    labels: null, query: 0, here: null, base: PAGE, vrus: null, vruLabels: null
  };

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
  window.snaState = state;  // for the browser tests: the marker and the labels
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(ATTRIBUTION);
  map.setView([52.48, -1.89], 10);
  // The street map under the layers (SNA_API_BASEMAP_URL). When its tiles cannot load
  // (offline, blocked), the page keeps working on our own outlines and says so.
  if (config.basemapUrl) {
    var basemap = L.tileLayer(config.basemapUrl, {
      attribution: esc(config.basemapAttribution || ""), maxZoom: 19,
      subdomains: "abc",  // the CSP allows exactly these (api/routers/web.py)
      referrerPolicy: "strict-origin"  // tile servers ask who is using them; never the path
    }).addTo(map);
    var tileErrors = 0;
    basemap.on("tileload", function () { document.body.dataset.basemap = "loaded"; });
    basemap.on("tileerror", function () {
      tileErrors += 1;
      if (tileErrors === 3 && document.body.dataset.basemap !== "loaded") {
        document.body.dataset.basemap = "unavailable";
        map.removeLayer(basemap);
        map.attributionControl.addAttribution("Street map unavailable: outlines only");
      }
    });
  }

  // ------------------------------------------------------------------ colouring
  function palette(layer) { return layer.kind === "protective" ? GREEN : BAND_COLOURS; }
  function hexRgb(h) {
    return [1, 3, 5].map(function (i) { return parseInt(h.slice(i, i + 2), 16); });
  }
  // The colour of a score along the layer's five colours, -2 to +2 standard deviations.
  function scoreColour(s, layer) {
    var cols = BANDS.slice().reverse().map(function (b) { return hexRgb(palette(layer)[b]); });
    var t = Math.max(0, Math.min(4, Number(s) + 2));
    var i = Math.min(3, Math.floor(t)), f = t - i;
    var rgb = [0, 1, 2].map(function (c) {
      return Math.round(cols[i][c] + (cols[i + 1][c] - cols[i][c]) * f);
    });
    return "rgb(" + rgb.join(",") + ")";
  }
  function fillOf(props, layer) {
    if (layer.display === "band") {
      var b = props[layer.property];
      return b ? palette(layer)[b] : null;
    }
    // a band for this layer, where the tiles carry one (the build's own rule), wins
    var band = props["band_" + layer.id] || props[layer.id + "_band"];
    if (band) { return palette(layer)[band]; }
    var s = props[layer.property];
    return s == null ? null : scoreColour(s, layer);
  }
  function style(props) {
    var layer = state.layer;
    var fill = (layer && fillOf(props, layer)) || THEME.noData;
    return {
      fill: true, fillColor: fill, fillOpacity: state.surface ? 0.25 : 0.75,
      color: "#ffffff", weight: 0.8, opacity: 0.9
    };
  }

  var grid = L.vectorGrid.protobuf(api("/tiles/areas/{z}/{x}/{y}.pbf"), {
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

  // ------------------------------------------------------------------ bearings
  // District and ward outlines from our own boundary files, and names as labels: districts
  // always, wards from zoom 12, places (MSOAs, the name an area's panel leads with) from zoom
  // 14 (zooms from the server).
  map.createPane("outlines").style.zIndex = 450;
  map.createPane("labels").style.zIndex = 460;
  var HIDE = function () { return []; };
  var outlines = L.vectorGrid.protobuf(api("/tiles/outlines/{z}/{x}/{y}.pbf"), {
    pane: "outlines",
    interactive: false,
    maxZoom: 18,
    rendererFactory: L.canvas.tile,
    vectorTileLayerStyles: {
      districts: { color: "#1d2430", weight: 2.2, opacity: 0.85, fill: false },
      wards: { color: "#3a4250", weight: 1, opacity: 0.7, dashArray: "4 3", fill: false },
      district_labels: HIDE, ward_labels: HIDE, lsoa_labels: HIDE
    }
  }).addTo(map);
  var labelLayer = L.layerGroup([], { pane: "labels" }).addTo(map);
  var MAX_LABELS = 250;
  var VRU_LABEL_ZOOM = 9;
  function drawLabels() {
    labelLayer.clearLayers();
    var names = state.labels;
    if (!names || !$("outlines-toggle").checked) { return; }
    var z = map.getZoom(), zooms = names.zooms || {};
    var level = z >= (zooms.place || 14) ? "place" : z >= (zooms.ward || 12) ? "ward" : "district";
    // a national map, zoomed out: the VRU areas' names, not hundreds of districts'
    if (state.vruLabels && z < VRU_LABEL_ZOOM) { level = "vru"; }
    var view = map.getBounds().pad(0.1), shown = 0;
    // a build made before places were named (labels.json with "lsoa") keeps its LSOA names
    var list = level === "vru" ? state.vruLabels : names[level] || (level === "place" && names.lsoa);
    (list || []).some(function (p) {
      if (!p.name || !view.contains([p.lat, p.lon])) { return false; }
      L.marker([p.lat, p.lon], {
        pane: "labels", interactive: false, keyboard: false,
        icon: L.divIcon({
          className: "area-label area-label-" + level, iconSize: null,
          html: "<span>" + esc(p.name) + "</span>"
        })
      }).addTo(labelLayer);
      shown += 1;
      return shown >= MAX_LABELS;
    });
    document.body.dataset.labels = level + ":" + shown;
  }
  map.on("moveend zoomend", drawLabels);
  fetch(api("/tiles/labels.json")).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (body) { state.labels = body && body.result; drawLabels(); })
    .catch(function () { /* names are a help, not needed */ });
  $("outlines-toggle").addEventListener("change", function () {
    if (this.checked) { outlines.addTo(map); } else { map.removeLayer(outlines); }
    if (state.vrus) { if (this.checked) { state.vrus.addTo(map); } else { map.removeLayer(state.vrus); } }
    drawLabels();
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
      state.surface = L.tileLayer((l.surface.tiles.charAt(0) === "/" ? PAGE : "") + l.surface.tiles, {
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
    if (l.display === "band") {
      BANDS.forEach(function (b) {
        html += '<div class="row"><span class="swatch" data-colour="' + pal[b] + '"></span>' +
          esc(b) + ' <span class="muted">(' + esc(THEME.places[b]) + ")</span></div>";
      });
    } else {
      SCORE_STOPS.slice().reverse().forEach(function (s) {
        html += '<div class="row"><span class="swatch" data-colour="' + scoreColour(s, l) +
          '"></span>' + (s === 0 ? "0: the regional average"
          : (s > 0 ? "+" : "−") + Math.abs(s) + " standard deviation" + (Math.abs(s) > 1 ? "s" : "") +
            (s > 0 ? " above" : " below")) + "</div>";
      });
    }
    if (state.surface && l.surface) {
      html += '<p class="note">Surface: ' +
        (l.surface.mode === "classes" ? "five classes (partner data, no values shown)"
          : (l.surface.unit || "events per km² a year")) + "</p>";
      l.surface.legend.forEach(function (e) {
        html += '<div class="row"><span class="swatch" data-colour="' + esc(e.colour) +
          '"></span>' + esc(e.label) + "</div>";
      });
    }
    html += '<p class="note">' + (l.display === "band"
      ? THEME.note +
        (l.partner ? "; partner data is shown as bands only." : ".")
      : "Colour: the neighbourhood's standardised score against the region's.") +
      " Lines: " + (state.vrus ? "VRU areas (purple), " : "") +
      "districts (solid) and wards (dashed).</p>";
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

  // The notice is a strip in the page flow above the map, so the map is resized with it.
  function renderNotice() {
    var l = state.layer, el = $("notice"), was = el.hidden;
    if (!l || !l.synthetic) {
      el.hidden = true;
      if (!was) { map.invalidateSize(); }
      return;
    }
    el.textContent = l.index
      ? "Illustrative data: this index includes synthetic (made-up) stand-ins for partner data: " +
        synthTitles().join("; ") + ". Do not use it to judge a real place."
      : "Illustrative data: “" + l.title + "” is built from synthetic (made-up) records standing " +
        "in for partner data that is not open. Do not use it to judge a real place.";
    el.hidden = false;
    if (was) { map.invalidateSize(); }
  }

  // ------------------------------------------------------------------ panel
  function openPanel(html) {
    $("panel-body").innerHTML = html;
    $("panel").hidden = false;
    $("panel").scrollTop = 0;
  }
  function closePanel() {
    $("panel").hidden = true;
    $("panel-body").innerHTML = "";
  }
  $("panel-close").addEventListener("click", closePanel);

  function num(x, digits) {
    return x == null ? "–" : Number(x).toLocaleString("en-GB", { maximumFractionDigits: digits || 0 });
  }
  // Where an area stands: the band chip and the engine's sentence naming the same band and
  // share (sna/wording.py); this page words nothing itself.
  function bandRow(x, label, id) {
    if (!x || !x.band) { return ""; }
    var words = x.in_words || {};
    return '<div class="band-row"><span class="band-chip band-' + esc(x.band) + '">' +
      esc(x.band) + " " + esc(label) + "</span></div>" +
      (words.standing ? '<p class="standing" id="' + id + '-standing">' + esc(words.standing) +
        "</p>" : "");
  }
  function uncertaintyWords(x) { return (x && x.in_words && x.in_words.uncertainty) || ""; }

  // Violence risk leads the answer: expected offences (with units and interval), against
  // the regional average, where it stands in words, its uncertainty, and its drivers.
  function violenceSummary(v) {
    if (!v) { return ""; }
    var words = v.in_words || {};
    var html = '<section id="violence-risk"><h3>' + esc(v.title || "Violence risk") + "</h3>" +
      '<p class="headline" id="violence-headline">' + esc(words.summary || "") + "</p>";
    html += bandRow(v, "violence risk", "violence");
    var unc = uncertaintyWords(v);
    if (unc) { html += '<p class="small uncertainty" id="violence-uncertainty">' + esc(unc) + "</p>"; }
    return html + "</section>";
  }
  // The past count and its provenance, and the model's drivers: below the first screen.
  function violenceDetails(v) {
    if (!v) { return ""; }
    var words = v.in_words || {}, html = "";
    if (words.recorded) {
      html += '<p class="small" id="violence-recorded">' + esc(words.recorded) + "</p>";
    }
    if (v.drivers && v.drivers.length) {
      html += '<ul class="drivers" id="violence-drivers">' + v.drivers.map(function (d) {
        return "<li>" + esc(d.text) + "</li>";
      }).join("") + "</ul>";
    }
    if (v.measures) { html += '<p class="small muted">' + esc(v.measures) + ".</p>"; }
    return html ? '<details id="violence-details"><summary>Why: what the forecast starts ' +
      "from</summary>" + html + "</details>" : "";
  }
  // What to do: the region's contacts, worded by the build (sna/contacts.py).
  function whatToDo(obj) {
    var w = obj && obj.what_to_do;
    if (!w) { return ""; }
    var links = (w.contacts || []).map(function (c) {
      var how = [];
      if (c.phone) {
        how.push('<a href="tel:' + esc(c.phone.replace(/\s/g, "")) + '">' + esc(c.phone) + "</a>");
      }
      if (c.website && /^https:\/\//.test(c.website)) {
        how.push('<a href="' + esc(c.website) + '" rel="noopener noreferrer" target="_blank">' +
          esc(c.website.replace(/^https:\/\/(www\.)?/, "").replace(/\/$/, "")) + "</a>");
      }
      return "<li>" + esc(c.when) + ": " + esc(c.name) + (how.length ? " " + how.join(" · ") : "") +
        "</li>";
    }).join("");
    return '<section id="what-to-do" class="todo"><p class="todo-line" id="what-to-do-line">' +
      esc(w.in_words) + "</p>" + (links ? '<details><summary>Who to call or tell</summary>' +
        '<ul class="small">' + links + "</ul></details>" : "") + "</section>";
  }

  function needSummary(idx) {
    if (!idx) { return ""; }
    var html = '<section id="need"><h3>Needs index</h3><p class="small muted">Where residents, ' +
      "young people especially, carry the risk factors behind violence.</p>";
    html += bandRow(idx, "need", "need");
    var unc = uncertaintyWords(idx);
    if (unc) { html += '<p class="small uncertainty" id="need-uncertainty">' + esc(unc) + "</p>"; }
    return html + "</section>";
  }

  // Each layer: its value with unit and its comparison, as the build words them.
  function profileItems(area) {
    return area.layers.map(function (l) {
      var w = l.in_words || {};
      return '<li data-layer="' + esc(l.id) + '"><span class="factor">' + esc(l.title) +
        (l.synthetic ? ' <span class="tag tag-synthetic">illustrative</span>' : "") +
        '</span><span class="value">' + esc(w.value || "–") + '</span><span class="cmp">' +
        esc(w.comparison || "") + "</span></li>";
    }).join("");
  }

  function driverList(drivers) {
    if (!drivers || !drivers.length) { return "<p class=\"muted\">No factor stands out.</p>"; }
    return '<ul class="drivers" id="drivers">' + drivers.map(function (d) {
      return "<li>" + esc(d.text) +
        (d.synthetic ? ' <span class="tag tag-synthetic">illustrative</span>' : "") + "</li>";
    }).join("") + "</ul>";
  }

  function assetList(assets, note) {
    var html = note ? '<p class="small" id="support-note">' + esc(note) + "</p>" : "";
    if (!assets || !assets.nearest || !assets.nearest.length) {
      return html + '<p class="muted">Nothing listed within ' +
        fmt(assets ? assets.radius_m : 1000) + " m.</p>";
    }
    return html + '<ul class="assets" id="assets">' + assets.nearest.map(function (a) {
        var details = [];
        if (a.ages) { details.push("ages " + a.ages); }
        if (a.opening_times) { details.push(a.opening_times); }
        if (a.phone) { details.push(a.phone); }
        var site = a.website && /^https?:\/\//.test(a.website)
          ? ' <a href="' + esc(a.website) + '" rel="noopener noreferrer" target="_blank">website</a>'
          : "";
        return "<li" + (a.source === "service_directory" ? ' class="service"' : "") + "><span>" +
          esc(a.name) + '<br><span class="muted small what">' + esc(a.what || a.type) + "</span>" +
          (details.length || site
            ? '<br><span class="small">' + esc(details.join(" · ")) + site + "</span>"
            : "") +
          "</span><span class=\"dist\">" + fmt(a.distance_m) + " m</span></li>";
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

  // ------------------------------------------------------------------ trend
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function monthName(ym) {
    var p = String(ym).split("-");
    return (MONTHS[Number(p[1]) - 1] || p[1]) + " " + p[0];
  }
  // A small inline SVG of the monthly counts (first and last month labelled) and the
  // IoD2019 to IoD2025 decile change in words; nothing when there is neither.
  function trendHtml(t) {
    var m = t && t.monthly, w = (t && t.in_words) || {};
    var counts = m && m.counts && m.counts.length ? m.counts : null;
    var html = '<section id="trend" class="trend"><h3>Trend</h3>' +
      '<p class="small" id="trend-monthly">' + esc(w.monthly || "") + "</p>";
    if (counts) {
      var wd = 300, h = 64, pad = 4, max = Math.max.apply(null, counts.concat([1]));
      var step = counts.length > 1 ? (wd - 2 * pad) / (counts.length - 1) : 0;
      var pts = counts.map(function (c, i) {
        return (pad + i * step).toFixed(1) + "," + (h - pad - ((h - 2 * pad) * c) / max).toFixed(1);
      }).join(" ");
      html += '<svg id="trend-chart" viewBox="0 0 ' + wd + " " + h +
        '" role="img" aria-label="' + esc(w.monthly || "") + '"><polyline fill="none" ' +
        'stroke="#1f5fbf" stroke-width="2" stroke-linejoin="round" points="' + pts + '"/></svg>' +
        '<div class="axis"><span id="trend-first">' + esc(monthName(m.months[0])) +
        '</span><span id="trend-last">' + esc(monthName(m.months[m.months.length - 1])) +
        "</span></div>";
    }
    if (w.iod && w.iod.length) {
      html += '<ul class="small" id="trend-iod">' + w.iod.map(function (x) {
        return "<li>" + esc(x) + "</li>";
      }).join("") + '</ul><p class="small muted">' + esc(w.iod_note || "") + "</p>";
    }
    return html + "</section>";
  }
  function loadTrend(code, ticket) {
    var box = $("trend-box");
    if (!box || !code) { return; }
    fetch(state.base + "/api/v1/areas/" + encodeURIComponent(code) + "/trend").then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (body) {
      if (ticket !== state.query || !$("trend-box")) { return; }
      $("trend-box").innerHTML = body ? trendHtml(body.result) : "";
    }).catch(function () { /* the trend is optional */ });
  }

  // The needs profile (every layer, units, comparisons) and the trend of one LSOA, filled
  // in after the postcode's own answer so that the headline shows at once.
  function loadProfile(code, ticket) {
    fetch(state.base + "/api/v1/areas/" + encodeURIComponent(code)).then(function (r) {
      if (!r.ok) { throw new Error("area " + code + ": " + r.status); }
      return r.json();
    }).then(function (body) {
      if (ticket !== state.query || !$("profile")) { return; }
      $("profile").innerHTML = profileItems(body.result);
    }).catch(function (err) { console.warn(err); });
  }

  // Whose answer this is: the VRU whose view covers the postcode (a national build names it),
  // with a link to its own map, or the note saying its view is not served here.
  function vruLine(vru) {
    if (!vru) { return ""; }
    var who = vru.vru ? vru.vru + " (" + vru.name + ")" : vru.name;
    var html = '<p class="vru-line" id="panel-vru" data-vru="' + esc(vru.id) + '" data-served="' +
      (vru.served ? "true" : "false") + '">' + (vru.served
        ? 'Answered for <strong>' + esc(who) + '</strong> · <a href="' + esc(vru.path) +
          '">its own map</a>'
        : "In the area of <strong>" + esc(who) + "</strong>") + "</p>";
    if (vru.note) { html += '<p class="warn" id="vru-note">' + esc(vru.note) + "</p>"; }
    return html;
  }
  // A view's answer ranks the postcode in its VRU; these are its ranks in the nation.
  var RANK_TITLES = [["violence_risk", "violence risk"], ["need", "needs index"]];
  function nationalRanks(n) {
    if (!n) { return ""; }
    var items = RANK_TITLES.filter(function (t) { return n[t[0]] && n[t[0]].rank; })
      .map(function (t) {
        var r = n[t[0]];
        return "<li>" + esc(t[1]) + ": " + fmt(r.rank) + " of " + fmt(r.of) +
          " (decile " + esc(r.decile) + ", " + esc(r.band) + ")</li>";
      });
    if (!items.length) { return ""; }
    return '<section id="national-ranks"><h3>Across ' + esc(n.region_name) + '</h3>' +
      '<p class="small muted">Rank among all ' + esc(n.region_name) + "'s neighbourhoods " +
      "(1 = highest); the bands above are within the VRU's own area.</p>" +
      '<ul class="small">' + items.join("") + "</ul></section>";
  }

  // The first screen: where, what is expected, how that compares, how sure, what to do.
  // Everything else folds below it.
  function showPostcode(pc, ticket, nearby, vru) {
    var place = pc.place && pc.place.in_words;
    var html = "<h2 id=\"panel-title\">" + esc(pc.postcode) + "</h2>" +
      '<p class="place" id="panel-place">' + esc(place || "") + "</p>";
    html += vruLine(vru);
    if (pc.note) { html += '<p class="warn" id="terminated">' + esc(pc.note) + "</p>"; }
    html += violenceSummary(pc.violence_risk);
    html += whatToDo(pc);
    html += nearbyList(nearby, pc.postcode);
    html += nationalRanks(pc.national);
    html += violenceDetails(pc.violence_risk);
    html += needSummary(pc.indices && pc.indices.need);
    html += '<details id="need-details"><summary>What drives the needs index, and every ' +
      'factor</summary><p class="explain" id="explanation">' + esc(pc.explanation) + "</p>" +
      driverList(pc.drivers) + '<h3>Needs profile</h3><ul class="profile" id="profile">' +
      '<li class="muted">Loading…</li></ul></details>';
    html += '<div id="trend-box"></div>';
    html += '<h3>Support nearby</h3>' + assetList(pc.assets, pc.support_note);
    html += synthWarning(pc);
    if (pc.lsoa21) {
      html += '<p class="small"><a href="#" id="area-link" data-code="' + esc(pc.lsoa21.code) +
        '">More about this area</a> <span class="muted">(neighbourhood ' +
        esc(pc.lsoa21.name) + ", " + esc(pc.lsoa21.code) + ")</span></p>";
    }
    html += vintages(pc);
    openPanel(html);
    if (pc.lsoa21) {
      loadProfile(pc.lsoa21.code, ticket);
      loadTrend(pc.lsoa21.code, ticket);
    }
    var link = $("area-link");
    if (link) {
      link.addEventListener("click", function (e) {
        e.preventDefault();
        showArea(link.dataset.code, state.base);
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll("#nearby-postcodes a"), function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        $("postcode-input").value = a.dataset.postcode;
        lookup(a.dataset.postcode, nearby);
      });
    });
  }

  // The postcodes nearest the reader's location (compact entries: the postcode, how far,
  // and its area's two bands, as the API gives them); the one shown is marked.
  function nearbyList(entries, current) {
    if (!entries || !entries.length) { return ""; }
    return '<h3>Nearest postcodes to you</h3><ul class="assets nearby" id="nearby-postcodes">' +
      entries.map(function (e) {
        var b = e.bands || {};
        return "<li" + (e.postcode === current ? ' class="current"' : "") + "><span>" +
          '<a href="#" data-postcode="' + esc(e.postcode) + '">' + esc(e.postcode) + "</a>" +
          ' <span class="small muted">violence risk ' + esc(b.violence_risk || "–") +
          " · needs " + esc(b.need || "–") + "</span></span>" +
          '<span class="dist">' + fmt(Math.round(e.distance)) + " m</span></li>";
      }).join("") + "</ul>";
  }

  function showArea(code, base) {
    var ticket = ++state.query;
    state.base = base == null ? PAGE : base;
    fetch(state.base + "/api/v1/areas/" + encodeURIComponent(code)).then(function (r) {
      if (!r.ok) { throw new Error("area " + code + ": " + r.status); }
      return r.json();
    }).then(function (body) {
      if (ticket !== state.query) { return; }
      var a = body.result;
      var place = a.place && a.place.in_words;
      var html = "<h2 id=\"panel-title\">" + esc((a.place && a.place.name) || a.name) +
        '</h2><p class="place" id="panel-place">' + esc(place || "") + " · " +
        fmt(a.population) + " residents" + (a.level === "lsoa"
          ? ' <span class="small">(neighbourhood ' + esc(a.name) + ", " + esc(a.code) + ")</span>"
          : "") + "</p>";
      html += violenceSummary(a.violence_risk);
      html += whatToDo(a);
      html += violenceDetails(a.violence_risk);
      html += needSummary(a.indices.need);
      html += '<details id="need-details"><summary>What drives the needs index, and every ' +
        'factor</summary><p class="explain" id="explanation">' + esc(a.explanation) + "</p>" +
        driverList(a.drivers) + '<h3>Needs profile</h3><ul class="profile" id="profile">' +
        profileItems(a) + "</ul></details>";
      html += '<div id="trend-box"></div>';
      html += synthWarning(a) + vintages(a);
      openPanel(html);
      loadTrend(a.code, ticket);
    }).catch(function (err) { console.warn(err); });
  }

  // ------------------------------------------------------------------ search
  function searchError(text) {
    var el = $("search-error");
    el.textContent = text || "";
    el.hidden = !text;
  }
  // A failed search must not leave the last answer on screen, where it would read as
  // the answer to this one.
  function clearAnswer() {
    state.query += 1;
    closePanel();
    if (state.marker) { map.removeLayer(state.marker); state.marker = null; }
  }

  // The map centre that puts ``ll`` in the middle of the part of the map nothing covers:
  // right of the side panel and left of the layer cards on a desktop; above the bottom
  // sheet and below the two buttons on a phone.
  function centreClearOfPanel(ll, zoom) {
    var m = $("map").getBoundingClientRect(), panel = $("panel");
    var left = m.left, right = m.right, top = m.top, bottom = m.bottom;
    if (!panel.hidden) {
      var p = panel.getBoundingClientRect();
      if (p.width >= 0.9 * m.width) { bottom = Math.min(bottom, p.top); }
      else { left = Math.max(left, p.right); }
    }
    var phone = window.matchMedia("(max-width: 640px)").matches;
    Array.prototype.forEach.call(document.querySelectorAll(".sidebar > *"), function (el) {
      var r = el.getBoundingClientRect();
      if (!r.width || !r.height) { return; }
      if (phone) { top = Math.max(top, r.bottom); } else { right = Math.min(right, r.left); }
    });
    if (right - left < 40 || bottom - top < 40) { return L.latLng(ll); }
    var want = L.point((left + right) / 2 - m.left, (top + bottom) / 2 - m.top);
    var mid = L.point(m.width / 2, m.height / 2);
    return map.unproject(map.project(ll, zoom).subtract(want.subtract(mid)), zoom);
  }

  function getAnswer(url) {
    return fetch(url).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    });
  }

  // Look a postcode up and show its answer; ``nearby`` (the postcodes nearest the reader's
  // location) is listed above it, or null for a typed search.
  function lookup(q, nearby) {
    searchError("");
    if (!nearby) { removeHere(); }
    var ticket = ++state.query;
    getAnswer(api("/api/v1/postcodes/" + encodeURIComponent(q))).then(function (res) {
      // a national answer names the postcode's VRU: show that VRU's own answer
      var vru = res.ok && res.body.result && res.body.result.vru;
      if (!vru || !vru.served) { return { res: res, vru: vru, base: PAGE }; }
      var base = vru.path.replace(/\/$/, "");
      return getAnswer(base + "/api/v1/postcodes/" + encodeURIComponent(q)).then(function (own) {
        return own.ok ? { res: own, vru: vru, base: base } : { res: res, vru: vru, base: PAGE };
      }, function () { return { res: res, vru: vru, base: PAGE }; });
    }).then(function (got) {
      var res = got.res;
      if (ticket !== state.query) { return; }
      if (!res.ok) {
        var error = res.body && res.body.error;
        clearAnswer();
        searchError(res.status === 404 && error ? error
          : (error || "That does not look like a postcode."));
        return;
      }
      var pc = res.body.result;
      if (state.marker) { map.removeLayer(state.marker); state.marker = null; }
      state.base = got.base;
      showPostcode(pc, ticket, nearby, got.vru);
      if (pc.location) {
        var ll = L.latLng(pc.location.latitude, pc.location.longitude);
        state.marker = L.circleMarker(ll, {
          radius: 9, color: "#ffffff", weight: 3, fillColor: "#1f5fbf", fillOpacity: 1
        }).addTo(map).bindTooltip(pc.postcode);
        state.markerAt = ll;
        map.flyTo(centreClearOfPanel(ll, 15), 15, { duration: 0.8 });
      }
    }).catch(function () {
      if (ticket !== state.query) { return; }
      clearAnswer();
      searchError("The service did not answer; try again.");
    });
  }
  $("postcode-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = $("postcode-input").value.trim();
    if (q) { lookup(q, null); }
  });

  // "Use my location": the browser asks the reader first; the position goes to this server
  // only, in one reverse lookup (up to 20 km, the 5 nearest), and is not kept.
  var NEAR_LIMIT = 5;
  function removeHere() {
    if (state.here) { map.removeLayer(state.here); state.here = null; }
  }
  function locationError(text) {
    clearAnswer();
    removeHere();
    searchError(text);
  }
  function useLocation() {
    var ticket = ++state.query;
    searchError("");
    $("locate").disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      $("locate").disabled = false;
      if (ticket !== state.query) { return; }
      var lon = pos.coords.longitude, lat = pos.coords.latitude;
      fetch(api("/api/v1/reverse/postcodes?wideSearch=true&limit=" + NEAR_LIMIT + "&lon=" +
        encodeURIComponent(lon.toFixed(6)) + "&lat=" + encodeURIComponent(lat.toFixed(6)))
      ).then(function (r) {
        if (!r.ok) { throw new Error("reverse lookup: " + r.status); }
        return r.json();
      }).then(function (body) {
        if (ticket !== state.query) { return; }
        var near = body.result || [];
        if (!near.length) {
          locationError("No postcode of " + ((state.build && state.build.region_name) || "this area") +
            " within 20 km of your location.");
          return;
        }
        removeHere();
        state.here = L.circleMarker([lat, lon], {
          radius: 6, color: "#1f5fbf", weight: 2, fillColor: "#ffffff", fillOpacity: 1
        }).addTo(map).bindTooltip("Your location");
        $("postcode-input").value = near[0].postcode;
        lookup(near[0].postcode, near);
      }).catch(function () {
        if (ticket !== state.query) { return; }
        locationError("The service did not answer; try again.");
      });
    }, function (err) {
      $("locate").disabled = false;
      if (ticket !== state.query) { return; }
      locationError(err && err.code === 1
        ? "Your location was not shared; type a postcode instead."
        : "Your location is not available; type a postcode instead.");
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 });
  }
  if (navigator.geolocation) {
    $("locate").hidden = false;
    $("locate").addEventListener("click", useLocation);
  }

  var timer = null;
  $("postcode-input").addEventListener("input", function () {
    clearTimeout(timer);
    var q = this.value.trim();
    if (q.length < 2 || q.length > 8) { return; }
    timer = setTimeout(function () {
      fetch(api("/api/v1/postcodes?limit=8&q=" + encodeURIComponent(q))).then(function (r) {
        return r.ok ? r.json() : { result: [] };
      }).then(function (body) {
        $("postcode-list").innerHTML = (body.result || []).map(function (p) {
          return '<option value="' + esc(p) + '"></option>';
        }).join("");
      }).catch(function () { /* autocomplete is optional */ });
    }, 150);
  });

  // On a phone the layer list and the key fold behind two buttons (one open at a time).
  function toggleCard(button, card, other, otherCard) {
    var open = !$(card).classList.contains("open");
    $(card).classList.toggle("open", open);
    $(button).setAttribute("aria-expanded", String(open));
    if (open) {
      $(otherCard).classList.remove("open");
      $(other).setAttribute("aria-expanded", "false");
    }
  }
  $("layers-toggle").addEventListener("click", function () {
    toggleCard("layers-toggle", "layers", "legend-toggle", "legend");
  });
  $("legend-toggle").addEventListener("click", function () {
    toggleCard("legend-toggle", "legend", "layers-toggle", "layers");
  });
  $("surface-toggle").addEventListener("change", function () {
    updateSurface(); grid.redraw(); renderLegend();
  });

  // The VRU areas of a national build: a light outline each, under the districts' lines.
  function loadVruOutlines() {
    fetch("/api/v1/vrus/outlines").then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        var fc = body && body.result;
        if (!fc || !fc.features || !fc.features.length) { return; }
        // above the districts' lines they follow, so a VRU's edge reads as one
        if (!map.getPane("vru-outlines")) { map.createPane("vru-outlines").style.zIndex = 455; }
        state.vrus = L.geoJSON(fc, {
          pane: "vru-outlines", interactive: false,
          style: { color: "#6a3d9a", weight: 3.5, opacity: 0.9, fill: false }
        });
        if ($("outlines-toggle").checked) { state.vrus.addTo(map); }
        state.vruLabels = [];
        state.vrus.eachLayer(function (layer) {
          var c = layer.getBounds().getCenter();
          state.vruLabels.push({ name: layer.feature.properties.name, lat: c.lat, lon: c.lng });
        });
        document.body.dataset.vrus = String(fc.features.length);
        renderLegend();
        drawLabels();
      }).catch(function () { /* the outlines are a help, not needed */ });
  }

  // ------------------------------------------------------------------ start
  Promise.all([
    fetch(api("/api/v1/builds")).then(function (r) { if (!r.ok) { throw r; } return r.json(); }),
    fetch(api("/api/v1/layers")).then(function (r) { if (!r.ok) { throw r; } return r.json(); })
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
    if (!PAGE) { loadVruOutlines(); }
    buildSwitcher();
    selectLayer(state.layers[0].id);
    // A link opens a place: /?postcode=B1%201BB (the priority lists link each place so).
    var asked = (new URLSearchParams(window.location.search).get("postcode") || "").trim();
    if (asked) { $("postcode-input").value = asked; lookup(asked, null); }
    document.body.dataset.ready = "true";
  }).catch(function () {
    $("subtitle").textContent = "The data is still loading; refresh in a moment.";
  });
})();
