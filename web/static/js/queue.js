/* The review queue's keyboard path: progressive enhancement only (the page works without it).
 *
 * Each suggestion of the queue ([data-queue-row]) becomes a stop of the Tab order; j or the
 * down arrow moves to the next one, k or the up arrow to the previous one; a approves the row
 * through the confirmation page of « Approuver les suggestions choisies… » (with this row only);
 * r puts the cursor in the row's reason, whose form refuses without one. Keys typed in a text
 * field are left alone. A group's « Choisir tout le groupe » box ticks or unticks its rows.
 */
(function () {
  "use strict";
  var queue = document.querySelector("[data-queue]");
  if (!queue) { return; }
  var rows = Array.prototype.slice.call(queue.querySelectorAll("[data-queue-row]"));
  if (!rows.length) { return; }
  var hint = document.getElementById("raccourcis-file");
  if (hint) { hint.hidden = false; }
  rows.forEach(function (row) {
    row.tabIndex = 0;
    if (hint) { row.setAttribute("aria-describedby", hint.id); }
  });

  Array.prototype.forEach.call(queue.querySelectorAll("[data-group-select]"), function (p) {
    p.hidden = false;
    var box = p.querySelector("[data-select-group]");
    var group = document.getElementById(box.getAttribute("data-select-group"));
    box.addEventListener("change", function () {
      Array.prototype.forEach.call(group.querySelectorAll("input[name=ids]"), function (tick) {
        tick.checked = box.checked;
      });
    });
  });

  function currentRow() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("[data-queue-row]") : null;
  }

  function typing(el) {
    if (!el) { return false; }
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") { return true; }
    return el.tagName === "INPUT" && ["checkbox", "radio", "submit", "button"].indexOf(el.type) < 0;
  }

  function move(row, step) {
    var i = rows.indexOf(row);
    var next = i < 0 ? rows[0] : rows[Math.min(rows.length - 1, Math.max(0, i + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  function approve(row) {
    var token = document.querySelector("#refus-groupe input[name=csrf_token]");
    var tick = row.querySelector("input[name=ids]");
    if (!token || !tick) { return; }
    var form = document.createElement("form");
    form.method = "post";
    form.action = queue.getAttribute("data-confirm-url");
    [["csrf_token", token.value], ["ids", tick.value], ["back", queue.getAttribute("data-back")]]
      .forEach(function (pair) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = pair[0];
        input.value = pair[1];
        form.appendChild(input);
      });
    document.body.appendChild(form);
    form.submit();
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    var row = currentRow();
    var arrow = event.key === "ArrowDown" || event.key === "ArrowUp";
    if (arrow && !row) { return; }  // the arrows scroll the page outside the list
    if (event.key === "j" || event.key === "ArrowDown") {
      move(row, 1);
    } else if (event.key === "k" || event.key === "ArrowUp") {
      move(row, -1);
    } else if (event.key === "a" && row) {
      approve(row);
    } else if (event.key === "r" && row) {
      var reason = row.querySelector("[data-reject-reason]");
      if (reason) { reason.focus(); }
    } else {
      return;
    }
    event.preventDefault();
  });
})();
