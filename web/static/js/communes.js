/* Commune autocompletion: fills the <datalist> of inputs marked data-commune-autocomplete with
   « Nom (code postal) » labels. Without JavaScript the field still accepts a name or a postal code.
   A field sent back in error (a text that fits several communes, or none) gets its list at once,
   so that the person picks among the choices the message names. */
(function () {
  "use strict";
  var LABEL = /\(\s*(\d{5}|2[AB]\d{3})\s*(,[^()]*)?\)$/i;
  var inputs = document.querySelectorAll("input[data-commune-autocomplete]");
  Array.prototype.forEach.call(inputs, function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) { return; }
    var timer = null;
    var last = "";
    function fill(q) {
      last = q;
      var xhr = new XMLHttpRequest();
      xhr.open("GET", input.dataset.communeAutocomplete + "?q=" + encodeURIComponent(q));
      xhr.responseType = "json";
      xhr.onload = function () {
        if (xhr.status !== 200 || !Array.isArray(xhr.response)) { return; }
        while (list.firstChild) { list.removeChild(list.firstChild); }
        xhr.response.forEach(function (c) {
          var option = document.createElement("option");
          option.value = c.label;
          if (c.hint && c.hint !== c.label) { option.textContent = c.hint; }
          list.appendChild(option);
        });
      };
      xhr.send();
    }
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last || LABEL.test(q)) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () { fill(q); }, 200);
    });
    var typed = input.value.trim();
    if (input.getAttribute("aria-invalid") === "true" && typed.length >= 2) { fill(typed); }
  });
})();
