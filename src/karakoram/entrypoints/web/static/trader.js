// The lodgement form's helpers: HS code suggestions from the node's nomenclature, and item
// rows added and removed in place. Without this script the form still works: its "add" and
// "remove" buttons submit it and the node renders it back with one row more or less.
(function () {
  "use strict";
  var form = document.querySelector("form.lodge");
  if (!form) { return; }
  var rows = form.querySelector(".item-rows");
  var template = document.getElementById("item-template");
  var list = document.getElementById("hs-codes");
  var endpoint = form.getAttribute("data-hs-url");

  // Give every row's fields consecutive names (items.0.x, items.1.x, ...) after a change.
  function renumber() {
    var all = rows.querySelectorAll("fieldset.item");
    all.forEach(function (row, n) {
      row.setAttribute("data-index", String(n));
      row.querySelector(".item-number").textContent = String(n + 1);
      row.querySelectorAll("[name^='items.']").forEach(function (field) {
        field.name = field.name.replace(/^items\.[^.]+\./, "items." + n + ".");
        field.id = "f-" + field.name.replace(/\./g, "-");
      });
      row.querySelectorAll("label[for^='f-items-']").forEach(function (label) {
        var field = label.querySelector("input, select");
        if (field) { label.htmlFor = field.id; }
      });
      row.querySelector(".remove-item").value = String(n);
    });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    if (button.classList.contains("add-item")) {
      event.preventDefault();
      rows.appendChild(template.content.cloneNode(true));
      renumber();
      var added = rows.lastElementChild.querySelector("input");
      if (added) { added.focus(); }
    } else if (button.classList.contains("remove-item")) {
      event.preventDefault();
      if (rows.querySelectorAll("fieldset.item").length > 1) {
        button.closest("fieldset.item").remove();
      } else {
        button.closest("fieldset.item").querySelectorAll("input").forEach(function (f) { f.value = ""; });
      }
      renumber();
    }
  });

  var timer = null;
  var asked = "";
  function suggest(text) {
    if (text === asked) { return; }
    asked = text;
    fetch(endpoint + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (body) {
        if (text !== asked) { return; }
        list.replaceChildren.apply(list, body.suggestions.map(function (s) {
          var option = document.createElement("option");
          option.value = s.code;
          option.label = s.code + " – " + s.description;
          option.textContent = s.description;
          return option;
        }));
        list.setAttribute("data-query", text);
      })
      .catch(function () { /* offline or signed out: the field still takes a typed code */ });
  }

  form.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.name || !/^items\.\d+\.hs_code$/.test(field.name)) { return; }
    var text = field.value.trim();
    if (text.length < 2) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () { suggest(text); }, 200);
  });
})();
