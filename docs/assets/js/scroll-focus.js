/* A table or code block wider than the page scrolls sideways; keyboard users can scroll it only if it
   takes focus (WCAG 2.1.1; axe's scrollable-region-focusable). Material wraps tables in
   .md-typeset__scrollwrap, mkdocs-jupyter's code in .highlight-ipynb: each of them that overflows is
   made focusable, and named for a screen reader. Runs on every page Material shows (document$). */
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(".md-typeset__scrollwrap, .highlight-ipynb").forEach(function (e) {
      if (e.scrollWidth > e.clientWidth && !e.hasAttribute("tabindex")) {
        e.setAttribute("tabindex", "0");
        e.setAttribute("role", "region");
        e.setAttribute("aria-label", e.classList.contains("highlight-ipynb") ? "code, scrolls sideways" : "table, scrolls sideways");
      }
    });
  }
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(mark);
  else document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
}());
