/* Commune autocompletion: fills the <datalist> of inputs marked data-commune-autocomplete with
   « Nom (code postal) » labels. Without JavaScript the field still accepts a name or a postal code. */
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-commune-autocomplete]");
  Array.prototype.forEach.call(inputs, function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) { return; }
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last || /\(\s*(\d{5}|2[AB]\d{3})\s*(,[^()]*)?\)$/i.test(q)) { return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
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
            list.appendChild(option);
          });
        };
        xhr.send();
      }, 200);
    });
  });
})();
