/* The VRU's service directory as a map layer: points from /api/v1/services, a toggle and a
   popup (name, type, ages, website, phone, opening times). Needs the Leaflet map that
   app.js publishes as window.snaMap; adds nothing when the region has no directory.
   No outside service is contacted, and no HTML is built from the data (text nodes only). */
(function () {
  "use strict";

  var COLOUR = "#6a1b9a"; // purple: apart from the need bands and the protective greens

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text != null) { node.textContent = String(text); }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function row(list, label, value) {
    if (value == null || value === "") { return; }
    var dt = el("dt", label);
    dt.style.fontWeight = "600";
    dt.style.fontSize = "0.8em";
    dt.style.color = "#555";
    var dd = el("dd");
    dd.style.margin = "0 0 4px 0";
    if (value.nodeType) { dd.appendChild(value); } else { dd.textContent = String(value); }
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function popup(p) {
    var box = el("div", null, { "class": "service-popup" });
    var title = el("strong", p.name);
    title.style.display = "block";
    box.appendChild(title);
    box.appendChild(el("span", p.type_label, { "class": "muted small" }));
    var list = el("dl");
    list.style.margin = "6px 0 0 0";
    row(list, "Ages", p.ages);
    if (p.website && /^https?:\/\//i.test(p.website)) {
      row(list, "Website", el("a", p.website.replace(/^https?:\/\//i, ""), {
        href: p.website, target: "_blank", rel: "noopener noreferrer"
      }));
    }
    if (p.phone) {
      row(list, "Phone", el("a", p.phone, { href: "tel:" + p.phone.replace(/[^0-9+]/g, "") }));
    }
    row(list, "Opening times", p.opening_times);
    row(list, "Postcode", p.postcode);
    box.appendChild(list);
    return box;
  }

  function toggle(map, layer, count) {
    var Toggle = L.Control.extend({
      options: { position: "bottomleft" },
      onAdd: function () {
        var div = L.DomUtil.create("div", "leaflet-bar services-toggle");
        div.style.background = "#fff";
        div.style.padding = "4px 8px";
        var label = el("label");
        var box = el("input", null, { type: "checkbox", id: "services-toggle" });
        box.checked = true;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" Services we fund (" + count + ")"));
        div.appendChild(label);
        L.DomEvent.disableClickPropagation(div);
        box.addEventListener("change", function () {
          if (box.checked) { layer.addTo(map); } else { map.removeLayer(layer); }
        });
        return div;
      }
    });
    new Toggle().addTo(map);
  }

  function start(map) {
    fetch((window.location.pathname.match(/^\/vru\/[a-z0-9-]+/) || [""])[0] + "/api/v1/services", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        var data = body && body.result;
        var n = data && data.features ? data.features.length : 0;
        document.body.dataset.services = String(n);
        if (!n) { return; }
        var layer = L.geoJSON(data, {
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, {
              radius: 7, color: "#fff", weight: 2, fillColor: COLOUR, fillOpacity: 0.95
            });
          },
          onEachFeature: function (f, marker) {
            marker.bindPopup(function () { return popup(f.properties); });
            marker.bindTooltip(f.properties.name);
          }
        }).addTo(map);
        toggle(map, layer, n);
        window.snaServices = layer;
      })
      .catch(function () { document.body.dataset.services = "error"; });
  }

  function whenMap(tries) {
    if (window.snaMap && window.L) { start(window.snaMap); return; }
    if (tries > 0) { setTimeout(function () { whenMap(tries - 1); }, 100); }
  }
  whenMap(50);
})();
