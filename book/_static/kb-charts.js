/* CACILM KB: draw the book's charts with the vendored vega bundle; no other host is contacted.
 * Each chart is a <figure class="kb-chart"> holding its Vega-Lite spec as inert JSON. The bundle
 * (vega + vega-lite + vega-embed, built by vl-convert) is loaded once, only on pages with charts,
 * from the site's own vendor/ folder (one for both editions), so the site works from a static
 * server or from disk. */
(function () {
  "use strict";
  var script = document.currentScript;
  // The page's preload link names the site's one bundle (shared by both editions).
  var preload = document.getElementById("kb-chart-bundle");
  var bundleUrl = preload ? preload.href : new URL("../vendor/vega-bundle.js", script.src).href;

  function draw() {
    var figures = document.querySelectorAll("figure.kb-chart");
    figures.forEach(function (fig) {
      var target = fig.querySelector(".kb-vega");
      var specNode = fig.querySelector("script.kb-spec");
      if (!target || !specNode || target.dataset.drawn) return;
      target.dataset.drawn = "1";
      var spec = JSON.parse(specNode.textContent);
      window.vegaEmbed(target, spec, { actions: false, renderer: "svg" }).then(function (res) {
        var svg = target.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", target.getAttribute("aria-label") || "chart");
        }
      }).catch(function (err) {
        target.textContent = "This chart could not be drawn: " + err;
        console.error(err);
      });
    });
  }

  function start() {
    if (!document.querySelector("figure.kb-chart")) return;
    if (window.vegaEmbed) return draw();
    var tag = document.createElement("script");
    tag.src = bundleUrl;
    tag.onload = draw;
    document.head.appendChild(tag);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
