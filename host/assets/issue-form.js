// Live checks for the issue form. As the clerk types, the draft is sent to /invoices/preview,
// which runs the same checks and VAT computation as issuing. Errors appear beside the fields the
// clerk has already visited, and the computed amounts fill the grey cells. Without JavaScript the
// form still works, because "检查并预览" runs the same checks on the server.
(function () {
  "use strict";
  var form = document.getElementById("issue-form");
  if (!form) { return; }
  var url = form.getAttribute("data-preview-url");
  var csrf = form.getAttribute("data-csrf");
  var fieldNames = ["buyer_name", "buyer_id", "vehicle_type", "brand_model", "origin", "certificate_number",
    "import_certificate_number", "inspection_number", "engine_number", "vin", "total_amount", "tonnage",
    "seating_capacity", "tax_payment_voucher_number", "remarks"];
  var touched = {};
  var timer = null;
  var sequence = 0;

  function draft() {
    var body = {};
    fieldNames.forEach(function (name) {
      var input = form.elements[name];
      if (input && input.value !== "") { body[name] = input.value; }
    });
    return body;
  }

  function setComputed(name, text) {
    var output = form.querySelector('[data-computed="' + name + '"]');
    if (output) { output.textContent = text; }
  }

  function showErrors(errors) {
    fieldNames.forEach(function (name) {
      var cell = form.querySelector('[data-cell="' + name + '"]');
      var slot = form.querySelector('[data-error-for="' + name + '"]');
      var input = form.elements[name];
      var message = touched[name] ? (errors[name] || "") : "";
      if (slot) { slot.textContent = message; }
      if (cell) { cell.classList.toggle("invalid", message !== ""); }
      if (input) {
        if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      }
    });
  }

  function showFindings(messages) {
    var box = document.getElementById("live-findings");
    box.textContent = "";
    if (!messages.length) { box.className = "findings"; return; }
    box.className = "findings warning-box";
    var list = document.createElement("ul");
    messages.forEach(function (message) {
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function clearComputed() {
    ["total_amount_uppercase", "vat_rate", "vat_amount", "price_excluding_vat"].forEach(function (name) { setComputed(name, "—"); });
  }

  function check() {
    var mine = ++sequence;
    var request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("Content-Type", "application/json");
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.onload = function () {
      if (mine !== sequence) { return; }
      var reply;
      try { reply = JSON.parse(request.responseText); } catch (ignored) { return; }
      if (request.status === 200) {
        setComputed("total_amount_uppercase", reply.total_amount_uppercase);
        setComputed("vat_rate", reply.vat_rate);
        setComputed("vat_amount", "¥" + reply.vat_amount);
        setComputed("price_excluding_vat", "¥" + reply.price_excluding_vat);
        showErrors({});
        showFindings(reply.findings.map(function (finding) { return finding.message; }));
        return;
      }
      if (!reply.error) { return; }
      var errors = {};
      var findings = reply.error.details && reply.error.details.length ? reply.error.details : [reply.error];
      findings.forEach(function (finding) {
        if (finding.field && !errors[finding.field]) { errors[finding.field] = finding.message; }
      });
      clearComputed();
      showErrors(errors);
      showFindings(findings.filter(function (finding) { return !finding.field || fieldNames.indexOf(finding.field) < 0; })
        .map(function (finding) { return finding.message; }));
    };
    request.send(JSON.stringify(draft()));
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(check, 300);
  }

  fieldNames.forEach(function (name) {
    var input = form.elements[name];
    if (!input) { return; }
    if (input.value !== "") { touched[name] = true; }
    input.addEventListener("blur", function () { touched[name] = true; schedule(); });
    input.addEventListener("input", function () { if (touched[name]) { schedule(); } });
  });

  // After a rejected submission the server's messages stay until the clerk edits a field: some
  // (a VIN already invoiced, stock used up) come from the write and the preview cannot repeat them.
  var firstInvalid = form.querySelector(".cell.invalid input");
  if (firstInvalid) {
    firstInvalid.focus();
  } else if (!document.getElementById("error-summary") && Object.keys(touched).length) {
    schedule();
  }
}());
