/* Accessibility repairs of the theme's markup (found by axe-core in the browser test).
 *
 * - The sidebar's expand/collapse toggles are <summary> elements with an icon only: give
 *   each a name from the link it belongs to.
 * - The sidebar's first item (site title) sits outside any landmark: make the sidebar's
 *   item groups a labelled region.
 */
(function () {
  "use strict";

  function nameToggles() {
    document.querySelectorAll("nav summary, .bd-sidebar summary").forEach(function (summary) {
      if (summary.textContent.trim() || summary.getAttribute("aria-label")) {
        return;
      }
      var item = summary.closest("li");
      var link = item ? item.querySelector("a") : null;
      var label = link ? link.textContent.trim() : "this section";
      summary.setAttribute("aria-label", "Pages under " + label);
    });
  }

  function labelSidebar() {
    document.querySelectorAll(".sidebar-primary-items__start")
      .forEach(function (group) {
        if (!group.closest("nav, aside, [role]")) {
          group.setAttribute("role", "region");
          group.setAttribute("aria-label", "Site title");
        }
      });
  }

  function start() {
    nameToggles();
    labelSidebar();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
