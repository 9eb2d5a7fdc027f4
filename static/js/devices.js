/* Devices page: follow statuses live (polling while a device is passing) and check MAC / install code as typed. */
(function () {
  "use strict";
  var list = document.querySelector("[data-devices]");
  var note = document.querySelector("[data-live-note]");
  // The page's words (templates/han/includes/devices_words.html), English if the page has none.
  var words = Object.assign({
    updated: "Device status updated.", onlyHex: "Use only the characters 0-9 and A-F.",
    macLength: "A MAC address has 16 characters; this one has {length}.",
    macReserved: "All zeros or all Fs is not a real device's address: copy the one on the label.",
    codeLength: "An install code has 16, 20, 28 or 36 characters; this one has {length}.",
    codeCheck: "The check digits do not match: compare the code with the label on the device.",
  }, (document.getElementById("devices-words") || {}).dataset || {});
  var BADGE = { joined: "badge ok", failed: "badge bad", pending: "badge warn", join_window_open: "badge warn", removing: "badge warn" };

  function show(li, when, on) {
    var el = li.querySelector('[data-when="' + when + '"]');
    if (el) { el.hidden = !on; }
  }

  function update(device) {
    var li = list.querySelector('[data-device-id="' + device.id + '"]');
    if (!li) { return false; }
    var changed = li.getAttribute("data-status") !== device.status;
    li.setAttribute("data-status", device.status);
    var badge = li.querySelector("[data-status-text]");
    badge.className = BADGE[device.status] || "badge";
    badge.textContent = device.status_text;
    li.querySelector("[data-failure]").textContent = device.failure_message;
    show(li, "retry", device.can_retry);
    show(li, "joined", device.status === "joined");
    show(li, "removable", device.status !== "removing" && device.status !== "removed");
    if (device.status === "removed") { li.hidden = true; }
    return changed;
  }

  function poll(delay) {
    window.setTimeout(function () {
      fetch(list.getAttribute("data-status-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          var changed = false;
          (body.devices || []).forEach(function (d) { changed = update(d) || changed; });
          if (changed && note) { note.textContent = words.updated; }
          if (body.passing) { poll(3000); }
        })
        .catch(function () { poll(Math.min(delay * 2, 15000)); });
    }, delay);
  }

  if (list && list.querySelector('[data-status="pending"], [data-status="join_window_open"], [data-status="removing"]')) {
    poll(2000);
  }

  /* Inline checks before anything is sent: the server checks the same again. */
  function crc16x25(bytes) {
    var crc = 0xffff;
    for (var i = 0; i < bytes.length; i++) {
      crc ^= bytes[i];
      for (var b = 0; b < 8; b++) { crc = (crc & 1) ? (crc >>> 1) ^ 0x8408 : crc >>> 1; }
    }
    return (crc ^ 0xffff) & 0xffff;
  }
  function digits(v) { return v.replace(/[\s:.\-]/g, "").toUpperCase(); }
  function macProblem(v) {
    var d = digits(v);
    if (!d) { return ""; }
    if (/[^0-9A-F]/.test(d)) { return words.onlyHex; }
    if (d.length !== 16) { return words.macLength.replace("{length}", d.length); }
    if (/^0+$|^F+$/.test(d)) { return words.macReserved; }
    return "";
  }
  function codeProblem(v) {
    var d = digits(v);
    if (!d) { return ""; }
    if (/[^0-9A-F]/.test(d)) { return words.onlyHex; }
    if ([16, 20, 28, 36].indexOf(d.length) < 0) { return words.codeLength.replace("{length}", d.length); }
    var bytes = [];
    for (var i = 0; i < d.length; i += 2) { bytes.push(parseInt(d.substr(i, 2), 16)); }
    var data = bytes.slice(0, -2);
    var check = bytes[bytes.length - 2] | (bytes[bytes.length - 1] << 8);
    return crc16x25(data) === check ? "" : words.codeCheck;
  }
  function live(input, problem) {
    if (!input) { return; }
    var msg = document.createElement("p");
    msg.className = "errorlist inline-check";
    msg.id = input.id + "_live";
    msg.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", msg);
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + msg.id).trim());
    input.addEventListener("blur", function () {
      var p = problem(input.value);
      msg.textContent = p;
      if (p) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    });
  }
  live(document.querySelector("[data-mac]"), macProblem);
  live(document.querySelector("[data-install-code]"), codeProblem);
})();
