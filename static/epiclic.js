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
