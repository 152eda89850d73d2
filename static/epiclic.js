// Epiclic's only script besides htmx (the Content-Security-Policy allows no inline script):
// a form field marked data-autosubmit submits its form when it changes; the ordering page's poll
// runs only while the page is visible.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field instanceof Element && field.matches("[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});

// The ordering page's figures are polled (hx-trigger "every 5s") only while the page is seen:
// a hidden tab sends nothing, and coming back asks at once.
document.addEventListener("htmx:beforeRequest", function (event) {
  var source = event.detail && event.detail.elt;
  if (document.hidden && source instanceof Element && source.matches("[data-poll-visible]")) {
    event.preventDefault();
  }
});
document.addEventListener("visibilitychange", function () {
  if (document.hidden || !window.htmx) {
    return;
  }
  document.querySelectorAll("[data-poll-visible]").forEach(function (element) {
    window.htmx.trigger(element, "visible-again");
  });
});

// The ordering page has one form around its list: Enter in a quantity sends that row's button
// (without JavaScript it would send the form's first button).
document.addEventListener("keydown", function (event) {
  var field = event.target;
  if (event.key !== "Enter" || !(field instanceof HTMLInputElement) || !field.closest("td.qty")) {
    return;
  }
  var button = field.closest("td.qty").querySelector("button[name=product]");
  if (button) {
    event.preventDefault();
    button.click();
  }
});

// The ordering page's search filters the list as one types (the form still works without
// JavaScript: the server then sends only the matching products). Words are matched without
// case or accents, as distributions.offer.offer_search does.
function epiclicFolded(text) {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}
document.addEventListener("input", function (event) {
  var field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.matches("[data-filter-rows]")) {
    return;
  }
  var list = document.querySelector(field.getAttribute("data-filter-rows"));
  if (!list) {
    return;
  }
  var words = epiclicFolded(field.value).split(/\s+/).filter(Boolean);
  list.querySelectorAll("table.order-products").forEach(function (table) {
    var shown = 0;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var name = epiclicFolded(row.querySelector("td.name").firstChild.textContent);
      var match = words.every(function (word) { return name.indexOf(word) !== -1; });
      row.hidden = !match;
      shown += match ? 1 : 0;
    });
    table.hidden = shown === 0;
    var heading = table.previousElementSibling;
    if (heading && heading.matches("h2.category")) {
      heading.hidden = shown === 0;
    }
  });
});

// A table wider than the screen scrolls sideways inside a region that the keyboard can reach
// and that names itself after the table's caption or nearest heading (WCAG 2.1.1); a hint says
// so while columns are hidden. Without script the page itself scrolls sideways. Tables that
// reflow into cards on a phone (.order-products, .delivery-lines) or are small (.compact, or
// inside [data-table-fits], as the cart) are left alone.
function epiclicScrollRegions(root) {
  root.querySelectorAll("main table:not(.order-products):not(.delivery-lines):not(.compact)").forEach(function (table) {
    if (table.parentElement.classList.contains("table-scroll") || table.closest("[data-table-fits]")) {
      return;
    }
    var label = table.caption ? table.caption.textContent : table.getAttribute("aria-label");
    if (!label) {
      var headings = Array.prototype.filter.call(document.querySelectorAll("main h1, main h2, main h3"), function (heading) {
        return heading.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING;
      });
      label = headings.length ? headings[headings.length - 1].textContent : document.title;
    }
    var region = document.createElement("div");
    region.className = "table-scroll";
    region.setAttribute("role", "region");
    region.setAttribute("tabindex", "0");
    region.setAttribute("aria-label", label.replace(/\s+/g, " ").trim());
    var hint = document.createElement("p");
    hint.className = "table-scroll-hint muted";
    hint.hidden = true;
    hint.textContent = document.body.dataset.tableScrollHint || "→";
    table.parentElement.insertBefore(hint, table);
    table.parentElement.insertBefore(region, table);
    region.appendChild(table);
    function update() {
      hint.hidden = region.scrollLeft + region.clientWidth >= region.scrollWidth - 2;
    }
    region.addEventListener("scroll", update, {passive: true});
    window.addEventListener("resize", update);
    update();
  });
}
document.addEventListener("DOMContentLoaded", function () { epiclicScrollRegions(document); });
document.addEventListener("htmx:load", function (event) { epiclicScrollRegions(event.detail.elt.ownerDocument); });

// When an htmx swap took the focused element away (the cart's ✕ button goes with the cart),
// the focus goes to the new part's [data-focus-fallback] (the cart's heading), not to the top
// of the page. Elements that come back with the same id (a row's field or button) are given
// the focus back by htmx itself.
document.addEventListener("htmx:afterSettle", function (event) {
  if (document.activeElement && document.activeElement !== document.body) {
    return;
  }
  var target = event.detail && event.detail.target;
  var live = target instanceof Element && target.id ? document.getElementById(target.id) : null;
  if (!live) {
    return;
  }
  var fallback = live.matches("[data-focus-fallback]") ? live : live.querySelector("[data-focus-fallback]");
  if (fallback) {
    fallback.focus();
  }
});

// The cart is swapped whole on each change: the pick-up slot the beneficiary had ticked in it
// is ticked again in the new cart (when still offered), so changing a quantity never loses it.
var epiclicChosenSlot = null;
document.addEventListener("htmx:beforeSwap", function () {
  var checked = document.querySelector("#cart input[name=slot]:checked");
  epiclicChosenSlot = checked ? checked.value : null;
});
document.addEventListener("htmx:afterSwap", function () {
  if (epiclicChosenSlot === null) {
    return;
  }
  document.querySelectorAll("#cart input[name=slot]").forEach(function (radio) {
    if (radio.value === epiclicChosenSlot && !radio.disabled) {
      radio.checked = true;
    }
  });
});
