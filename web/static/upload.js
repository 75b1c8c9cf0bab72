// Upload with a progress bar instead of a frozen page; falls back to the plain form post.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var input = document.getElementById("file");
  var drop = document.getElementById("drop");
  var nameLabel = document.getElementById("file-name");
  var bar = document.getElementById("progress");
  var status = document.getElementById("upload-status");
  var submit = form.querySelector("button[type=submit]");
  var limitMb = parseInt(form.getAttribute("data-limit-mb") || "0", 10);
  var busy = false;
  drop.classList.add("enhanced");

  function refuse(message) {
    status.textContent = message;
    status.classList.add("error");
  }

  input.addEventListener("change", function () {
    nameLabel.textContent = input.files.length ? input.files[0].name : "";
  });
  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    drop.addEventListener(type, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      nameLabel.textContent = input.files[0].name;
    }
  });

  form.addEventListener("submit", function (e) {
    if (!input.files.length) return;
    e.preventDefault();
    // one upload per click: a double click made two questionnaires of one file
    if (busy) return;
    // refused here, before megabytes travel only to be refused, and with the typed fields kept
    if (limitMb && input.files[0].size > limitMb * 1024 * 1024) {
      refuse("The file is larger than the " + limitMb + " MB upload limit.");
      return;
    }
    busy = true;
    submit.disabled = true;
    status.classList.remove("error");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) {
        bar.value = Math.round((100 * ev.loaded) / ev.total);
        status.textContent = "Uploading… " + bar.value + "%";
      }
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value");
      status.textContent = "Reading the questionnaire and matching answers…";
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
        window.location.assign(xhr.responseURL);
      } else {
        document.open();
        document.write(xhr.responseText);
        document.close();
      }
    });
    xhr.addEventListener("error", function () {
      refuse("The upload failed: check your connection and try again.");
      bar.hidden = true;
      busy = false;
      submit.disabled = false;
    });
    xhr.send(new FormData(form));
  });
})();
