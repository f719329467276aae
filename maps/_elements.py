"""Folium elements of the static maps: shared data, theme layers and the map's panels.

Imported only from inside :func:`maps.static.write_maps` (after the lazy Folium import), so
``import maps`` does not load Folium.

Leaflet itself is inlined from ``maps/vendor`` (Leaflet 1.9.4, BSD-2) instead of Folium's CDN
links, so a map opens offline, on networks that block CDNs, and with no request to any third
party. The polygons are embedded once (:class:`SharedData`) and each theme is a Leaflet layer
drawn from them (:class:`ThemeLayer`), so a map with seven themes is barely larger than one.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

__all__ = ["SharedData", "ThemeLayer", "OutlineLayer", "MapPanels", "inline_assets"]

VENDOR = Path(__file__).resolve().parent / "vendor"


def _js_json(obj: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>`` can close it)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@cache
def _vendor(name: str) -> str:
    return (VENDOR / name).read_text(encoding="utf-8")


SNA_CSS = """
.leaflet-container { background: #f7f7f4; font-family: "Segoe UI", Roboto, Helvetica, Arial,
  sans-serif; }
.sna-panel { background: rgba(255,255,255,0.96); border-radius: 6px; padding: 10px 12px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); color: #222; font-size: 13px; line-height: 1.35; }
.sna-title { max-width: 340px; }
.sna-title h1 { font-size: 16px; margin: 0 0 3px 0; font-weight: 650; }
.sna-title .sna-sub { color: #555; font-size: 12px; margin-bottom: 8px; }
.sna-search { display: flex; gap: 4px; }
.sna-search input { flex: 1; font-size: 13px; padding: 4px 6px; border: 1px solid #bbb;
  border-radius: 4px; min-width: 0; text-transform: uppercase; }
.sna-search input::placeholder { text-transform: none; }
.sna-search button { font-size: 13px; padding: 4px 10px; border: 0; border-radius: 4px;
  background: #1f4e79; color: #fff; cursor: pointer; }
.sna-search-msg { color: #a11; font-size: 12px; min-height: 1em; margin-top: 3px; }
.sna-hint { color: #666; font-size: 11px; margin-top: 4px; }
.sna-legend { max-width: 300px; }
.sna-legend h2 { font-size: 13px; margin: 0 0 6px 0; font-weight: 650; }
.sna-legend .sna-row { display: flex; align-items: center; margin: 1px 0; font-size: 12px; }
.sna-legend .sna-swatch { width: 18px; height: 12px; margin-right: 7px; flex: none;
  border: 1px solid rgba(0,0,0,0.2); }
.sna-legend .sna-note { color: #666; font-size: 11px; margin-top: 6px; }
.sna-notice { position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
  z-index: 1000; background: #fff3cd; color: #5c4300; border: 1px solid #e0b84c;
  border-radius: 6px; padding: 7px 14px; font-size: 13px; max-width: 46%;
  box-shadow: 0 1px 5px rgba(0,0,0,0.25); text-align: center; }
.sna-tooltip { width: 290px; white-space: normal; }
.leaflet-popup-content { font-size: 13px; line-height: 1.4; margin: 10px 14px; }
.sna-tip { font-size: 12px; line-height: 1.35; }
.sna-tip-name { font-weight: 650; font-size: 13px; }
.sna-code { color: #777; font-weight: 400; font-size: 11px; }
.sna-tip-where { color: #555; margin-bottom: 3px; }
.sna-tip-drivers { margin-top: 3px; }
.sna-tip-x { margin-top: 3px; color: #444; font-style: italic; }
.leaflet-control-layers { font-size: 13px; }
.leaflet-control-layers-base label, .leaflet-control-layers-overlays label { margin: 2px 0; }
.leaflet-control-attribution { font-size: 10px; max-width: 60vw; }
"""

SNA_JS = r"""
var SNA = (function () {
  var ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g,
      function (c) { return ESC[c]; });
  }
  function fill(theme, p) {
    var c = theme.colors[String(p[theme.key])];
    return c || theme.defaultColor;
  }
  function style(theme) {
    return function (f) {
      return {fillColor: fill(theme, f.properties), fillOpacity: theme.opacity,
              color: "#ffffff", weight: 0.5, opacity: 0.9};
    };
  }
  function tooltip(theme, p, total) {
    var h = '<div class="sna-tip"><div class="sna-tip-name">' + esc(p.n) +
      ' <span class="sna-code">' + esc(p.c) + '</span></div>';
    var where = [p.w, p.d].filter(function (x) { return x; }).join(", ");
    if (where) { h += '<div class="sna-tip-where">' + esc(where) + '</div>'; }
    if (p.ve != null) {
      h += '<div>Violence risk: <b>about ' + Math.round(p.ve).toLocaleString("en-GB") +
        '</b> offences expected next year' +
        (p.vr ? ' &middot; rank ' + p.vr + ' of ' + total : '') + '</div>';
    }
    if (p.nb) {
      h += '<div>Needs index: <b>' + esc(p.nb) + '</b>';
      if (p.nr) { h += ' &middot; rank ' + p.nr + ' of ' + total; }
      if (p.lo && p.hi) { h += ' (likely ' + p.lo + '&ndash;' + p.hi + ')'; }
      h += '</div>';
    }
    var label = theme.labels[String(p[theme.key])];
    if (label && theme.key !== "k_need") {
      h += '<div>' + esc(theme.line.replace("{label}", label)) + '</div>';
    }
    if (p.t) { h += '<div class="sna-tip-drivers"><b>Top drivers:</b> ' + esc(p.t) + '</div>'; }
    if (p.x) { h += '<div class="sna-tip-x">' + esc(p.x) + '</div>'; }
    return h + '</div>';
  }
  function themeLayer(data, theme, total) {
    var st = style(theme);
    return L.geoJson(data, {
      style: st,
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return tooltip(theme, f.properties, total); },
                          {sticky: true, direction: "auto", opacity: 0.97,
                           className: "sna-tooltip"});
        layer.on("mouseover", function () {
          layer.setStyle({weight: 2.5, color: "#1a1a1a"});
          if (layer.bringToFront) { layer.bringToFront(); }
        });
        layer.on("mouseout", function () { layer.setStyle(st(f)); });
      }
    });
  }
  function legendHtml(theme) {
    var h = '<h2>' + esc(theme.legendTitle) + '</h2>';
    theme.legend.forEach(function (row) {
      h += '<div class="sna-row"><span class="sna-swatch" style="background:' + row[0] +
        '"></span>' + esc(row[1]) + '</div>';
    });
    if (theme.note) { h += '<div class="sna-note">' + esc(theme.note) + '</div>'; }
    return h;
  }
  function pretty(key) {
    return key.length > 3 ? key.slice(0, -3) + " " + key.slice(-3) : key;
  }
  function panels(map, cfg, feats, pcs) {
    var title = L.control({position: "topleft"});
    var msg = null, input = null, marker = null;
    title.onAdd = function () {
      var d = L.DomUtil.create("div", "sna-panel sna-title");
      d.innerHTML = '<h1>' + esc(cfg.title) + '</h1><div class="sna-sub">' +
        esc(cfg.subtitle) + '</div>' +
        '<form class="sna-search" role="search" onsubmit="return false;">' +
        '<input type="search" aria-label="Postcode" placeholder="Find a postcode, e.g. ' +
        esc(cfg.examplePostcode) + '">' + '<button type="submit">Find</button></form>' +
        '<div class="sna-search-msg" aria-live="polite"></div>' +
        '<div class="sna-hint">' + esc(cfg.hint) + '</div>';
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      msg = d.querySelector(".sna-search-msg");
      input = d.querySelector("input");
      d.querySelector("form").addEventListener("submit", function (e) {
        e.preventDefault(); find(input.value);
      });
      return d;
    };
    function find(q) {
      var key = String(q || "").toUpperCase().replace(/[^A-Z0-9]/g, "");
      if (!key) { msg.textContent = "Type a postcode."; return; }
      var hit = pcs[key];
      if (!hit) {
        msg.textContent = pretty(key) + " is not a live postcode in " + cfg.area + ".";
        return;
      }
      msg.textContent = "";
      var ll = [hit[0], hit[1]];
      map.setView(ll, Math.max(map.getZoom(), 15));
      if (marker) { map.removeLayer(marker); }
      var f = feats.features[hit[2]];
      var p = f ? f.properties : {};
      marker = L.circleMarker(ll, {radius: 8, color: "#111", weight: 2, fillColor: "#ffd400",
                                   fillOpacity: 1}).addTo(map);
      marker.bindPopup('<b>' + esc(pretty(key)) + '</b><br>' + esc(p.n || "") +
        (p.ve != null ? '<br>Violence risk: about <b>' + Math.round(p.ve) +
          '</b> offences a year' : '') +
        (p.nb ? '<br>Needs index: <b>' + esc(p.nb) + '</b>' : '') +
        (p.t ? '<br>Top drivers: ' + esc(p.t) : '')).openPopup();
    }
    title.addTo(map);
    var legend = L.control({position: "bottomright"});
    var legendDiv = null;
    legend.onAdd = function () {
      legendDiv = L.DomUtil.create("div", "sna-panel sna-legend");
      L.DomEvent.disableClickPropagation(legendDiv);
      return legendDiv;
    };
    legend.addTo(map);
    function show(theme) { legendDiv.innerHTML = legendHtml(theme); }
    show(cfg.initialTheme);
    map.on("baselayerchange", function (e) { if (e.layer.snaTheme) { show(e.layer.snaTheme); } });
    map.attributionControl.setPrefix(
      '<a href="https://leafletjs.com" title="Leaflet">Leaflet</a>');
    cfg.attribution.forEach(function (a) { map.attributionControl.addAttribution(esc(a)); });
    if (cfg.notice) {
      var n = L.DomUtil.create("div", "sna-notice", map.getContainer());
      n.setAttribute("role", "note");
      n.innerHTML = '<b>Synthetic data.</b> ' + esc(cfg.notice);
      L.DomEvent.disableClickPropagation(n);
    }
    SNA.find = find;
  }
  return {esc: esc, themeLayer: themeLayer, panels: panels, legendHtml: legendHtml};
})();
"""


def inline_assets(m: Any) -> None:
    """Replace Folium's CDN links by inlined Leaflet and the maps' own CSS and JavaScript."""
    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    header.add_child(Element(f"<style>{_vendor('leaflet.css')}</style>"), name="leaflet_css")
    header.add_child(Element(f"<script>{_vendor('leaflet.js')}</script>"), name="leaflet")
    header.add_child(Element(f"<style>{SNA_CSS}</style>"), name="sna_css")
    header.add_child(Element(f"<script>{SNA_JS}</script>"), name="sna_js")


class SharedData(MacroElement):
    """A JavaScript variable holding JSON (polygons, postcodes) that layers refer to by name."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.payload }};
        {% endmacro %}
        """
    )

    def __init__(self, obj: Any, name: str = "sna_data") -> None:
        super().__init__()
        self._name = name
        self.payload = _js_json(obj)


class ThemeLayer(Layer):
    """One theme of the LSOA polygons: a Leaflet GeoJSON layer styled by a feature property.

    Base layers (``overlay=False``) appear as radio buttons, so one choropleth shows at a time.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = SNA.themeLayer(
                {{ this.data.get_name() }}, {{ this.theme_js }}, {{ this.total }});
            {{ this.get_name() }}.snaTheme = {{ this.theme_js }};
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: SharedData,
        theme: dict[str, Any],
        total: int,
        *,
        overlay: bool = False,
        show: bool = False,
    ) -> None:
        super().__init__(name=theme["title"], overlay=overlay, control=True, show=show)
        self._name = "ThemeLayer"
        self.data = data
        self.theme_js = _js_json(theme)
        self.total = int(total)


class OutlineLayer(Layer):
    """Boundaries drawn as lines (e.g. districts), an overlay that takes no mouse events."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJson({{ this.data.get_name() }}, {
                interactive: false,
                style: function () {
                    return {color: {{ this.color|tojson }}, weight: {{ this.weight }},
                            fill: false, opacity: 0.9};
                }
            });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: SharedData,
        name: str,
        *,
        color: str = "#333333",
        weight: float = 1.6,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "OutlineLayer"
        self.data = data
        self.color = color
        self.weight = weight


class MapPanels(MacroElement):
    """Title and postcode search, legend, attribution and the synthetic-data notice."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            SNA.panels({{ this._parent.get_name() }}, {{ this.config }},
                       {{ this.features.get_name() }}, {{ this.postcodes.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, features: SharedData, postcodes: SharedData, config: dict[str, Any]):
        super().__init__()
        self._name = "MapPanels"
        self.features = features
        self.postcodes = postcodes
        self.config = _js_json(config)
