/* The figure index's filter box (docs/templates/figure_index.md.j2): words matched against each
   figure's title, caption and experiment, a part and a kind of figure. Each figure's entry is one
   element, .fig-item, with data-part, data-experiment, data-kind and data-text; a figure that does not
   match is hidden whole, a group with no figure shown and a part with no group shown too, and the
   live region says how many are shown. The form is `hidden` in the page: without JavaScript the
   index is unchanged. Does nothing on a page without the form. Our own code, no library. */
(function () {
  "use strict";

  function matches(item, words, part, kind) {
    if (part && item.getAttribute("data-part") !== part) return false;
    if (kind && item.getAttribute("data-kind") !== kind) return false;
    var text = item.getAttribute("data-text") || "";
    return words.every(function (w) { return text.indexOf(w) !== -1; });
  }

  /* an h2 (a part) hides when every group up to the next h2 is hidden */
  function hideEmptyParts(root) {
    var heading = null, shown = false;
    function close() { if (heading) heading.hidden = !shown; }
    Array.prototype.forEach.call(root.children, function (el) {
      if (el.tagName === "H2") { close(); heading = el; shown = false; }
      else if (heading && el.classList.contains("fig-group") && !el.hidden) shown = true;
    });
    close();
  }

  function apply(form, items, count) {
    var words = form.q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var part = form.part.value, kind = form.kind.value, n = 0;
    items.forEach(function (item) {
      var ok = matches(item, words, part, kind);
      item.hidden = !ok;
      if (ok) n += 1;
    });
    form.ownerDocument.querySelectorAll(".fig-group").forEach(function (g) {
      g.hidden = !g.querySelector(".fig-item:not([hidden])");
    });
    var root = form.parentElement;
    if (root) hideEmptyParts(root);
    count.textContent = n + " of " + items.length + " figures shown";
  }

  function init() {
    var form = document.querySelector("form.fig-filter");
    if (!form || form.getAttribute("data-ready")) return;
    var items = Array.prototype.slice.call(document.querySelectorAll(".fig-item"));
    var count = form.querySelector(".fig-filter-count");
    form.setAttribute("data-ready", "1");
    form.hidden = false;
    var update = function () { apply(form, items, count); };
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
    update();
  }

  if (window.document$ && window.document$.subscribe) window.document$.subscribe(init);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
}());
