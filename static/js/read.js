/* On-demand meter read: ask without leaving the page, then follow pending -> completed/failed by polling. */
(function () {
  "use strict";
  var form = document.querySelector("[data-read-form]");
  var statusBox = document.querySelector("[data-read-status]");
  var list = document.querySelector("[data-read-list]");
  var limitsText = document.getElementById("read-limits");
  if (!form || !statusBox) { return; }
  var button = form.querySelector("button[type=submit]");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  // The page's words (templates/portal/includes/read_words.html), English if the page has none.
  var words = Object.assign({
    readAt: "read at {time}", refused: "Refused: over the limit", failed: "Failed",
    waiting: "Waiting for the meter…", result: "Your meter read {register} at {time}.", meaning: "That is {meaning}.",
    readFailed: "The read failed: {reason}", lost: "We lost track of that read; reload the page to see its result.",
    asking: "Asking your meter…", answering: "Waiting for the meter to answer… (requested {time})",
    notRequested: "The read could not be requested.",
    offline: "The request did not reach us; check your connection and try again.",
  }, (document.getElementById("read-words") || {}).dataset || {});

  function say(text, kind) {
    statusBox.textContent = "";
    var p = document.createElement("p");
    p.className = "read-message " + (kind || "");
    p.textContent = text;
    statusBox.appendChild(p);
  }

  function render(read) {
    var li = list ? list.querySelector('[data-read-id="' + read.id + '"]') : null;
    if (!li && list) {
      li = document.createElement("li");
      li.setAttribute("data-read-id", read.id);
      var empty = list.querySelector("[data-empty]");
      if (empty) { empty.remove(); }
      list.insertBefore(li, list.firstChild);
    }
    if (!li) { return; }
    li.className = "read-item read-" + read.status;
    li.textContent = "";
    var when = document.createElement("span");
    when.className = "read-when";
    when.textContent = read.requested_at_text;
    var what = document.createElement("span");
    what.className = "read-what";
    if (read.status === "completed") {
      var strong = document.createElement("strong");
      strong.textContent = read.register_text;
      var note = document.createElement("span");
      note.className = "muted";
      note.textContent = " " + words.readAt.replace("{time}", read.read_at_text);
      what.appendChild(strong);
      what.appendChild(note);
      if (read.meaning) {
        var meaning = document.createElement("span");
        meaning.className = "read-meaning";
        meaning.textContent = read.meaning;
        what.appendChild(meaning);
      }
    } else if (read.status === "failed" || read.status === "refused") {
      var badge = document.createElement("span");
      badge.className = "badge bad";
      badge.textContent = read.status === "refused" ? words.refused : words.failed;
      what.appendChild(badge);
      what.appendChild(document.createTextNode(" " + read.failure_message));
    } else {
      var wait = document.createElement("span");
      wait.className = "badge";
      wait.textContent = words.waiting;
      what.appendChild(wait);
    }
    li.appendChild(when);
    li.appendChild(what);
  }

  function finish(read) {
    if (read.limits && limitsText) { limitsText.textContent = read.limits; }
    if (read.status === "completed") {
      say(words.result.replace("{register}", read.register_text).replace("{time}", read.read_at_text) +
        (read.meaning ? " " + words.meaning.replace("{meaning}", read.meaning) : ""), "ok");
    } else if (read.status === "failed") {
      say(words.readFailed.replace("{reason}", read.failure_message), "bad");
    }
    button.disabled = false;
    button.removeAttribute("aria-disabled");
  }

  function poll(url, delay) {
    window.setTimeout(function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (read) {
          if (read.error) { say(words.lost, "bad"); return; }
          render(read);
          if (read.status === "pending") { poll(url, Math.min(delay * 1.5, 5000)); } else { finish(read); }
        })
        .catch(function () { poll(url, Math.min(delay * 2, 10000)); });
    }, delay);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    say(words.asking, "");
    fetch(form.action || window.location.href, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      credentials: "same-origin",
    })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (res) {
        if (res.status === 202) {
          render(res.body);
          if (res.body.limits && limitsText) { limitsText.textContent = res.body.limits; }
          if (res.body.status === "pending") {
            say(words.answering.replace("{time}", res.body.requested_at_text), "");
            poll(res.body.status_url, 1000);
          } else {
            finish(res.body);
          }
        } else {
          say(res.body.message || words.notRequested, "bad");
          if (res.status !== 429) { button.disabled = false; button.removeAttribute("aria-disabled"); }
        }
      })
      .catch(function () {
        say(words.offline, "bad");
        button.disabled = false;
        button.removeAttribute("aria-disabled");
      });
  });

  // Reads still pending when the page was drawn keep being followed.
  if (list) {
    Array.prototype.forEach.call(list.querySelectorAll("[data-status-url]"), function (li) {
      poll(li.getAttribute("data-status-url"), 1500);
    });
  }
})();
