/* Sortable, filterable tables for the compendium's static site (analysis/site.py).
 *
 * Vanilla JavaScript, no dependencies, nothing fetched. Markup it expects:
 *   <input type="search" class="table-filter" data-table="ID">
 *   <output class="table-count" data-table="ID"></output>
 *   <table id="ID" class="sortable"> with <th><button class="sort-button"> headers.
 * A cell's sort key is its data-sort attribute if present, else its text. Keys that are
 * numbers sort numerically; empty keys sort last in both directions.
 */
(function () {
  "use strict";

  var NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

  function sortKey(row, index) {
    var cell = row.cells[index];
    if (!cell) {
      return "";
    }
    var key = cell.getAttribute("data-sort");
    return (key === null ? cell.textContent : key).trim();
  }

  function compareKeys(a, b) {
    if (NUMBER.test(a) && NUMBER.test(b)) {
      return parseFloat(a) - parseFloat(b);
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function updateCount(table) {
    var rows = table.tBodies[0].rows;
    var shown = 0;
    for (var i = 0; i < rows.length; i += 1) {
      if (!rows[i].hidden) {
        shown += 1;
      }
    }
    var outputs = document.querySelectorAll('.table-count[data-table="' + table.id + '"]');
    for (var j = 0; j < outputs.length; j += 1) {
      outputs[j].textContent = shown === rows.length
        ? rows.length + " rows"
        : shown + " of " + rows.length + " rows";
    }
  }

  function sortTable(table, index, header) {
    var direction = header.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    var headers = table.tHead.rows[0].cells;
    for (var h = 0; h < headers.length; h += 1) {
      headers[h].setAttribute("aria-sort", "none");
    }
    header.setAttribute("aria-sort", direction);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var decorated = rows.map(function (row, position) {
      return { row: row, key: sortKey(row, index), position: position };
    });
    decorated.sort(function (x, y) {
      if (x.key === "" && y.key !== "") {
        return 1;
      }
      if (y.key === "" && x.key !== "") {
        return -1;
      }
      var order = compareKeys(x.key, y.key);
      if (direction === "descending") {
        order = -order;
      }
      return order !== 0 ? order : x.position - y.position;
    });
    decorated.forEach(function (item) {
      body.appendChild(item.row);
    });
  }

  function filterTable(table, text) {
    var needle = text.trim().toLowerCase();
    var rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i += 1) {
      rows[i].hidden = needle !== "" && rows[i].textContent.toLowerCase().indexOf(needle) === -1;
    }
    updateCount(table);
  }

  function setUp(table) {
    if (!table.tHead || !table.tBodies.length) {
      return;
    }
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (header, index) {
      var button = header.querySelector(".sort-button");
      if (button) {
        button.addEventListener("click", function () {
          sortTable(table, index, header);
        });
      }
    });
    var inputs = document.querySelectorAll('.table-filter[data-table="' + table.id + '"]');
    Array.prototype.forEach.call(inputs, function (input) {
      input.addEventListener("input", function () {
        filterTable(table, input.value);
      });
      if (input.value) {
        filterTable(table, input.value);
      }
    });
    updateCount(table);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
