// Drop-down filters above a table (kb.display.table with `filters`): each <select> names a
// column; a row stays visible when, for every list with a choice, the row's values
// (data-kb-N, separated by "|") include it. Works from file:// with no network.
(function () {
  "use strict";
  function setUp(form) {
    var table = form.nextElementSibling && form.nextElementSibling.querySelector("table");
    if (!table) return;
    var lists = Array.prototype.slice.call(form.querySelectorAll("select[data-kb-filter]"));
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var count = form.querySelector(".kb-filter-count");
    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var keep = lists.every(function (list) {
          if (!list.value) return true;
          var values = (row.getAttribute("data-kb-" + list.dataset.kbFilter) || "").split("|");
          return values.indexOf(list.value) !== -1;
        });
        row.hidden = !keep;
        if (keep) shown += 1;
      });
      count.textContent = form.dataset.kbShown
        .replace("{shown}", String(shown))
        .replace("{total}", String(rows.length));
    }
    lists.forEach(function (list) { list.addEventListener("change", apply); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.hidden = false;
    apply();
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form.kb-filters"), setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
