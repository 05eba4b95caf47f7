/* CACILM KB: charts that cost nothing until a reader asks for their values.
 * Each <figure class="kb-chart"> shows the SVG image rendered at build time and names its
 * Vega-Lite spec (data-spec: a small script beside the image that calls kbSpec). The spec and
 * the interactive layer (vega + vega-lite + vega-embed, one bundle built by vl-convert and shared
 * by both editions) are fetched from the site itself, never from another host, only when the
 * reader presses "Show the values" or moves a mouse over a chart; that chart is then redrawn
 * with tooltips in place of its image. Scripts, not fetch(), so it works from disk (file://). */
(function () {
  "use strict";
  var script = document.currentScript;
  var bundleUrl = null;
  var loading = null;
  var specs = {};  // spec script URL -> function receiving the spec

  window.kbSpec = function (spec) {
    var src = document.currentScript && document.currentScript.src;
    if (specs[src]) specs[src](spec);
  };

  function addScript(url, onload, onerror) {
    var tag = document.createElement("script");
    tag.src = url;
    tag.onload = onload;
    tag.onerror = onerror;
    document.head.appendChild(tag);
  }

  function loadBundle() {
    if (window.vegaEmbed) return Promise.resolve();
    if (loading) return loading;
    loading = new Promise(function (resolve, reject) {
      addScript(bundleUrl, resolve, function () {
        loading = null;
        reject(new Error("chart bundle not found"));
      });
    });
    return loading;
  }

  function loadSpec(fig) {
    var url = new URL(fig.dataset.spec, document.baseURI).href;
    return new Promise(function (resolve, reject) {
      specs[url] = resolve;
      addScript(url, null, function () { reject(new Error("chart spec not found")); });
    });
  }

  function explore(fig) {
    if (fig.dataset.kbInteractive) return;
    fig.dataset.kbInteractive = "1";
    var target = fig.querySelector(".kb-vega");
    var image = target.querySelector("img.kb-static");
    var button = fig.querySelector("button.kb-explore");
    if (button) button.disabled = true;
    Promise.all([loadSpec(fig), loadBundle()]).then(function (loaded) {
      var spec = loaded[0];
      var holder = document.createElement("div");
      return window.vegaEmbed(holder, spec, { actions: false, renderer: "svg" }).then(function () {
        var svg = holder.querySelector("svg");
        if (svg && image) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", image.alt);
        }
        target.replaceChildren(holder);
        if (button) button.hidden = true;
      });
    }).catch(function (err) {
      fig.dataset.kbInteractive = "";
      if (button) button.disabled = false;
      console.error("This chart could not be made interactive: " + err);
    });
  }

  function start() {
    var figures = document.querySelectorAll("figure.kb-chart");
    if (!figures.length) return;
    var link = document.querySelector('meta[name="kb-chart-bundle"]');
    bundleUrl = new URL(link ? link.content : "../vendor/vega-bundle.js", link ? document.baseURI : script.src).href;
    figures.forEach(function (fig) {
      if (!fig.dataset.spec) return;
      var button = fig.querySelector("button.kb-explore");
      if (button) {
        button.hidden = false;
        button.addEventListener("click", function () { explore(fig); });
      }
      fig.querySelector(".kb-vega").addEventListener("pointerenter", function (event) {
        if (event.pointerType === "mouse") explore(fig);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
